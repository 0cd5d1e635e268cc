//! A generated Shadowserver `scan_rdp` report, for the pipeline benchmark and the crash tests:
//! every row a distinct event (its address, host name and certificate vary), written as
//! Shadowserver writes its CSV, streamed so that any size fits in little memory.

use std::io::Write;

/// The file name that makes the Shadowserver parser read it as `scan_rdp`.
pub const FILE_NAME: &str = "2026-03-01-scan_rdp-at-geo.csv";

/// Writes a report of `rows` rows to `out`.
pub fn scan_rdp(rows: u64, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(
        b"\"timestamp\",\"ip\",\"port\",\"hostname\",\"tag\",\"handshake\",\"asn\",\"geo\",\"region\",\"city\",\
\"rdp_protocol\",\"cert_length\",\"subject_common_name\",\"issuer_common_name\",\"cert_issue_date\",\
\"cert_expiration_date\",\"sha1_fingerprint\",\"cert_serial_number\",\"ssl_version\",\"signature_algorithm\",\
\"key_algorithm\",\"naics\",\"sector\"\n",
    )?;
    for i in 0..rows {
        let (a, b, c) = ((i >> 16) % 200 + 20, (i >> 8) % 256, i % 256);
        writeln!(
            out,
            "\"2026-02-{:02} {:02}:{:02}:{:02}\",\"{a}.{b}.{c}.{}\",{},\"host-{i}.example.net\",\"rdp\",,{},\"AT\",\"WIEN\",\"VIENNA\",\
\"RDP\",2048,\"SRV{i}.corp.local\",\"SRV{i}.corp.local\",\"2025-04-29 02:22:06\",\"2026-10-29 02:22:06\",\
\"EC:BB:4D:DB:9F:0C:D3:FF:5B:49:EA:B1:56:62:B6:A7:5D:60:{:02X}:{:02X}\",\"1EF2B37AF850C9BF{i:08X}\",2,\
\"sha256WithRSAEncryption\",\"rsaEncryption\",517311,\"Communications\"",
            i % 28 + 1,
            i % 24,
            i % 60,
            (i * 7) % 60,
            i % 250 + 1,
            if i % 3 == 0 { 3389 } else { 3388 },
            64496 + (i % 500),
            i % 256,
            (i >> 8) % 256,
        )?;
    }
    Ok(())
}
