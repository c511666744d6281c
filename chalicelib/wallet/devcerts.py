"""A development certificate chain shaped like Apple's, for signing passes on the local stack:
root CA -> "WWDR" intermediate (OU=G4) -> "Pass Type ID" leaf whose subject UID is the pass type
identifier and OU the team id, with Apple's pass-signing extended key usage and pass-type extension.
iOS will not trust it (the root is ours); openssl and our tests verify against it like Apple's."""
import datetime
import ipaddress
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID, ObjectIdentifier

PASS_SIGNING_EKU = ObjectIdentifier("1.2.840.113635.100.4.14")
PASS_TYPE_EXTENSION = ObjectIdentifier("1.2.840.113635.100.6.1.16")
FILES = ("root.pem", "wwdr.pem", "pass.pem", "pass.key")


def _name(*attributes) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(subject: x509.Name, issuer: x509.Name, public_key: Any, signing_key: Any, *,  # noqa: PLR0913
                 ca: bool, days: int, now: datetime.datetime,
                 extensions: Sequence[tuple[Any, bool]] = ()) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=ca, crl_sign=ca, encipher_only=False,
                                            decipher_only=False), critical=True))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(signing_key, hashes.SHA256())


def generate(directory: Path, pass_type_id: str, team_id: str, days: int = 825) -> dict[str, Path]:
    """Write root.pem, wwdr.pem, pass.pem and pass.key (unencrypted, mode 0600) into `directory`."""
    now = datetime.datetime.now(datetime.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    root_key, wwdr_key, pass_key = _key(), _key(), _key()
    root_name = _name((NameOID.COMMON_NAME, "Loyalty Development Root CA"),
                      (NameOID.ORGANIZATION_NAME, "Loyalty Development"), (NameOID.COUNTRY_NAME, "US"))
    root = _certificate(root_name, root_name, root_key.public_key(), root_key, ca=True, days=days * 4, now=now)
    wwdr_name = _name((NameOID.COMMON_NAME, "Loyalty Development Worldwide Developer Relations CA"),
                      (NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
                      (NameOID.ORGANIZATION_NAME, "Loyalty Development"), (NameOID.COUNTRY_NAME, "US"))
    wwdr = _certificate(wwdr_name, root_name, wwdr_key.public_key(), root_key, ca=True, days=days * 2, now=now)
    leaf_name = _name((NameOID.USER_ID, pass_type_id), (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_id}"),
                      (NameOID.ORGANIZATIONAL_UNIT_NAME, team_id),
                      (NameOID.ORGANIZATION_NAME, "Loyalty Development"), (NameOID.COUNTRY_NAME, "US"))
    value = pass_type_id.encode()
    leaf = _certificate(leaf_name, wwdr_name, pass_key.public_key(), wwdr_key, ca=False, days=days, now=now,
                        extensions=[(x509.ExtendedKeyUsage([PASS_SIGNING_EKU]), False),
                                    (x509.UnrecognizedExtension(PASS_TYPE_EXTENSION,
                                                                b"\x0c" + bytes([len(value)]) + value), False)])
    pem = serialization.Encoding.PEM
    paths = {name: directory / name for name in FILES}
    paths["root.pem"].write_bytes(root.public_bytes(pem))
    paths["wwdr.pem"].write_bytes(wwdr.public_bytes(pem))
    paths["pass.pem"].write_bytes(leaf.public_bytes(pem))
    paths["pass.key"].write_bytes(pass_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    paths["pass.key"].chmod(0o600)
    return paths


def present(directory: Path) -> bool:
    return all((directory / name).is_file() for name in FILES)


def tls_server(directory: Path, name: str = "apns-standin") -> tuple[Path, Path]:
    """A self-signed TLS certificate for 127.0.0.1 and localhost (the local APNs stand-in); clients
    trust it by pointing APNS_CA_FILE at the same file."""
    now = datetime.datetime.now(datetime.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    key = _key()
    subject = _name((NameOID.COMMON_NAME, "localhost"))
    names = x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    certificate = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=825))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(names, critical=False)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path
