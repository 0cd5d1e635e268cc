// Generated from data/rsit-machinetag.json (MISP taxonomies, RSIT namespace, version 1003); CC0-1.0.
// Regenerate with `python3 crates/domain/data/gen-rsit.py`; a unit test checks it against the JSON.

use super::{RsitClassDef, RsitTypeDef};

pub(super) static CLASSES: &[RsitClassDef] = &[
    RsitClassDef {
        value: "abusive-content",
        name: "Abusive Content",
        types: &[
            RsitTypeDef {
                value: "spam",
                name: "Spam",
                description: "Or 'Unsolicited Bulk Email', this means that the recipient has not granted verifiable permission for the message to be sent and that the message is sent as part of a larger collection of messages, all having a functionally comparable content. This IOC refers to resources which make up spam infrastructure, for example, harvesters like address verification, URLs in spam emails, etc.",
            },
            RsitTypeDef {
                value: "harmful-speech",
                name: "Harmful Speech",
                description: "Bullying, harassment or discrimination of somebody, e.g., cyber stalking, racism or threats against one or more individuals.",
            },
            RsitTypeDef {
                value: "violence",
                name: "(Child) Sexual Exploitation/Sexual/Violent Content",
                description: "Child Sexual Exploitation (CSE), sexual content, glorification of violence, etc.",
            },
        ],
    },
    RsitClassDef {
        value: "malicious-code",
        name: "Malicious Code",
        types: &[
            RsitTypeDef {
                value: "infected-system",
                name: "Infected System",
                description: "System infected with malware, e.g., a PC, smartphone or server infected with a rootkit. Most often this refers to a connection to a sinkholed command and control server.",
            },
            RsitTypeDef {
                value: "c2-server",
                name: "C2 Server",
                description: "Command and control server contacted by malware on infected systems.",
            },
            RsitTypeDef {
                value: "malware-distribution",
                name: "Malware Distribution",
                description: "URI used for malware distribution, e.g., a download URL included in fake invoice malware spam or exploit kits (on websites).",
            },
            RsitTypeDef {
                value: "malware-configuration",
                name: "Malware Configuration",
                description: "URI hosting a malware configuration file, e.g., web injects for a banking trojan.",
            },
        ],
    },
    RsitClassDef {
        value: "information-gathering",
        name: "Information Gathering",
        types: &[
            RsitTypeDef {
                value: "scanner",
                name: "Scanning",
                description: "Attacks that send requests to a system to discover weaknesses. This also includes testing processes to gather information on hosts, services and accounts. This includes fingerd, DNS querying, ICMP, SMTP (EXPN, RCPT, etc) port scanning.",
            },
            RsitTypeDef {
                value: "sniffing",
                name: "Sniffing",
                description: "Observing and recording of network traffic (i.e. wiretapping).",
            },
            RsitTypeDef {
                value: "social-engineering",
                name: "Social Engineering",
                description: "Gathering information from a human being in a non-technical way (e.g., using lies, tricks, bribes, or threats).",
            },
        ],
    },
    RsitClassDef {
        value: "intrusion-attempts",
        name: "Intrusion Attempts",
        types: &[
            RsitTypeDef {
                value: "ids-alert",
                name: "Exploitation of Known Vulnerabilities",
                description: "An attempt to compromise a system or to disrupt any service by exploiting vulnerabilities with a standardised identifier such as CVE name (e.g., using a buffer overflow, backdoor, cross site scripting)",
            },
            RsitTypeDef {
                value: "brute-force",
                name: "Login Attempts",
                description: "Multiple brute-force login attempts (including guessing or cracking of passwords). This IOC refers to a resource, which has been observed to perform brute-force attacks over a given application protocol.",
            },
            RsitTypeDef {
                value: "exploit",
                name: "New Attack Signature",
                description: "An attack using an unknown exploit.",
            },
        ],
    },
    RsitClassDef {
        value: "intrusions",
        name: "Intrusions",
        types: &[
            RsitTypeDef {
                value: "privileged-account-compromise",
                name: "Privileged Account Compromise",
                description: "Compromise of a system where the attacker has gained administrative privileges.",
            },
            RsitTypeDef {
                value: "unprivileged-account-compromise",
                name: "Unprivileged Account Compromise",
                description: "Compromise of a system using an unprivileged (user/service) account.",
            },
            RsitTypeDef {
                value: "application-compromise",
                name: "Application Compromise",
                description: "Compromise of an application by exploiting (un)known software vulnerabilities, e.g., SQL injection.",
            },
            RsitTypeDef {
                value: "system-compromise",
                name: "System Compromise",
                description: "Compromise of a system, e.g., unauthorised logins or commands. This includes attempts to compromise honeypot systems.",
            },
            RsitTypeDef {
                value: "burglary",
                name: "Burglary",
                description: "Physical intrusion, e.g., into a corporate building or data centre.",
            },
        ],
    },
    RsitClassDef {
        value: "availability",
        name: "Availability",
        types: &[
            RsitTypeDef {
                value: "dos",
                name: "Denial of Service",
                description: "Denial of Service attack, e.g., sending specially crafted requests to a web application which causes the application to crash or slow down.",
            },
            RsitTypeDef {
                value: "ddos",
                name: "Distributed Denial of Service",
                description: "Distributed Denial of Service attack, e.g., SYN flood or UDP-based reflection/amplification attacks.",
            },
            RsitTypeDef {
                value: "misconfiguration",
                name: "Misconfiguration",
                description: "Software misconfiguration resulting in service availability issues, e.g., DNS server with outdated DNSSEC Root Zone KSK.",
            },
            RsitTypeDef {
                value: "sabotage",
                name: "Sabotage",
                description: "Physical sabotage, e.g., cutting wires or malicious arson.",
            },
            RsitTypeDef {
                value: "outage",
                name: "Outage",
                description: "An outage caused, for example, by air conditioning failure or natural disaster.",
            },
        ],
    },
    RsitClassDef {
        value: "information-content-security",
        name: "Information Content Security",
        types: &[
            RsitTypeDef {
                value: "unauthorised-information-access",
                name: "Unauthorised Access to Information",
                description: "Unauthorised access to information, e.g., by abusing stolen login credentials for a system or application, intercepting traffic or gaining access to physical documents.",
            },
            RsitTypeDef {
                value: "unauthorised-information-modification",
                name: "Unauthorised Modification of Information",
                description: "Unauthorised modification of information, e.g., by an attacker abusing stolen login credentials for a system or application, or ransomware encrypting data. Also includes defacements.",
            },
            RsitTypeDef {
                value: "data-loss",
                name: "Data Loss",
                description: "Loss of data caused by, for example, hard disk failure or physical theft.",
            },
            RsitTypeDef {
                value: "data-leak",
                name: "Leak of Confidential Information",
                description: "Leaked confidential information, e.g., credentials or personal data.",
            },
        ],
    },
    RsitClassDef {
        value: "fraud",
        name: "Fraud",
        types: &[
            RsitTypeDef {
                value: "unauthorised-use-of-resources",
                name: "Unauthorised Use of Resources",
                description: "Using resources for unauthorised purposes including profit-making ventures, e.g., the use of email to participate in illegal profit chain letters or pyramid schemes.",
            },
            RsitTypeDef {
                value: "copyright",
                name: "Copyright",
                description: "Offering or installing copies of unlicensed commercial software or other copyright protected materials (also known as Warez).",
            },
            RsitTypeDef {
                value: "masquerade",
                name: "Masquerade",
                description: "Type of attack in which one entity illegitimately impersonates the identity of another in order to benefit from it.",
            },
            RsitTypeDef {
                value: "phishing",
                name: "Phishing",
                description: "Masquerading as another entity in order to persuade the user to reveal private credentials. This IOC most often refers to a URL, which is used to phish user credentials.",
            },
        ],
    },
    RsitClassDef {
        value: "vulnerable",
        name: "Vulnerable",
        types: &[
            RsitTypeDef {
                value: "weak-crypto",
                name: "Weak Cryptography",
                description: "Publicly accessible services offering weak cryptography, e.g., web servers susceptible to POODLE/FREAK attacks.",
            },
            RsitTypeDef {
                value: "ddos-amplifier",
                name: "DDoS Amplifier",
                description: "Publicly accessible services that can be abused for conducting DDoS reflection/amplification attacks, e.g., DNS open-resolvers or NTP servers with monlist enabled.",
            },
            RsitTypeDef {
                value: "potentially-unwanted-accessible",
                name: "Potentially Unwanted Accessible Services",
                description: "Potentially unwanted publicly accessible services, e.g., Telnet, RDP or VNC.",
            },
            RsitTypeDef {
                value: "information-disclosure",
                name: "Information disclosure",
                description: "Publicly accessible services potentially disclosing sensitive information, e.g., SNMP or Redis.",
            },
            RsitTypeDef {
                value: "vulnerable-system",
                name: "Vulnerable System",
                description: "A system which is vulnerable to certain attacks, e.g., misconfigured client proxy settings (such as WPAD), outdated operating system version, or cross-site scripting vulnerabilities.",
            },
        ],
    },
    RsitClassDef {
        value: "other",
        name: "Other",
        types: &[
            RsitTypeDef {
                value: "other",
                name: "Uncategorised",
                description: "All incidents which don't fit in one of the given categories should be put into this class or the incident is not categorised.",
            },
            RsitTypeDef {
                value: "undetermined",
                name: "Undetermined",
                description: "The categorisation of the incident is unknown/undetermined.",
            },
        ],
    },
    RsitClassDef {
        value: "test",
        name: "Test",
        types: &[RsitTypeDef { value: "test", name: "Test", description: "Meant for testing." }],
    },
];
