//! `cirtkit asn import` and `cirtkit asn lookup`: the local table of routed prefixes and their
//! AS numbers (and names) that the feed pipeline's `asn` expert reads. It is kept as a compact
//! binary file in the data directory (`asn.bin`), replaced whole by each import.

use anyhow::{Context, Result, bail};
use cirtkit_app::Config;
use cirtkit_pipeline::experts::AsnTable;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The file of the imported table, in the data directory.
pub fn table_path(config: &Config) -> PathBuf {
    config.data_dir.join("asn.bin")
}

/// The table's format, from its first lines: pyasn's `prefix/len<TAB>asn`, or ip2asn's
/// `start<TAB>end<TAB>asn<TAB>country<TAB>description`.
fn looks_like_ip2asn(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with(';') && !l.starts_with('#'))
        .is_some_and(|l| l.split('\t').count() >= 3 && !l.split('\t').next().unwrap_or_default().contains('/'))
}

fn gunzip_head(path: &Path) -> Result<Vec<u8>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::new(file);
    let gz = reader.fill_buf()?.starts_with(&[0x1f, 0x8b]);
    let mut head = vec![0u8; 4096];
    let n = if gz { flate2::bufread::MultiGzDecoder::new(reader).read(&mut head)? } else { reader.read(&mut head)? };
    head.truncate(n);
    Ok(head)
}

/// `cirtkit asn import FILE [--names FILE]`.
pub fn import(config: &Config, file: &Path, names: Option<&Path>, format: Option<&str>) -> Result<ExitCode> {
    let ip2asn = match format {
        Some("pyasn") => false,
        Some("ip2asn") => true,
        Some(other) => bail!("unknown AS table format {other:?}: use pyasn or ip2asn"),
        None => looks_like_ip2asn(&gunzip_head(file)?),
    };
    let open = || -> Result<BufReader<std::fs::File>> {
        Ok(BufReader::new(std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?))
    };
    let started = std::time::Instant::now();
    let mut table = if ip2asn { AsnTable::from_ip2asn(open()?) } else { AsnTable::from_pyasn(open()?) }
        .with_context(|| format!("cannot read {}", file.display()))?;
    if let Some(names) = names {
        let reader = std::fs::File::open(names).with_context(|| format!("cannot open {}", names.display()))?;
        table = table.with_names(AsnTable::read_pyasn_names(reader).context("cannot read the AS names")?);
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let target = table_path(config);
    let partial = target.with_extension("bin.partial");
    {
        let out = std::fs::File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
        table.write_to(&out).with_context(|| format!("cannot write {}", partial.display()))?;
        out.sync_all()?;
    }
    // Replaced in one step: a running server never reads half a table.
    std::fs::rename(&partial, &target).with_context(|| format!("cannot replace {}", target.display()))?;
    println!(
        "Imported {} prefixes ({} format) into {} in {:.1} s.",
        table.prefix_count(),
        if ip2asn { "ip2asn" } else { "pyasn" },
        target.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// Loads the imported table, if there is one.
pub fn load(config: &Config) -> Result<Option<AsnTable>> {
    let path = table_path(config);
    match std::fs::File::open(&path) {
        Ok(file) => Ok(Some(AsnTable::read_from(file).with_context(|| format!("cannot read {}", path.display()))?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot open {}", path.display())),
    }
}

/// `cirtkit asn lookup IP…`.
pub fn lookup(config: &Config, addresses: &[String]) -> Result<ExitCode> {
    let Some(table) = load(config)? else {
        bail!("no AS table: import one with `cirtkit asn import FILE` (pyasn .dat/.dat.gz or ip2asn TSV)")
    };
    let mut missing = false;
    for text in addresses {
        let ip: std::net::IpAddr = text.trim().parse().with_context(|| format!("{text:?} is not an IP address"))?;
        match table.lookup(ip) {
            Some(m) => println!("{ip}\tAS{}\t{}\t{}", m.asn, m.network, m.name.map_or("", |n| &**n)),
            None => {
                missing = true;
                println!("{ip}\t-\tnot announced in the table");
            }
        }
    }
    Ok(if missing { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_is_recognised() {
        assert!(!looks_like_ip2asn(b"; IP-ASN32-DAT file\n1.0.0.0/24\t13335\n"));
        assert!(looks_like_ip2asn(b"1.0.0.0\t1.0.0.255\t13335\tUS\tCLOUDFLARENET\n"));
    }
}
