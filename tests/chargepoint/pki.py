"""
Certificates made for the charge point's certificate and signed firmware
tests, with C{cryptography}, valid around a given time (the charge point's
clock in these tests is not the wall clock): CAs, roots cross-signed by an
older root, certificates signed from a CSR, firmware signing certificates
and signatures (ECDSA or RSA, SHA-256).
"""

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

DAY = datetime.timedelta(days=1)


def pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def name(common_name: str, organization: str = "openocpp tests") -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def _write_key(key, path):
    # A private key as unencrypted PKCS#8 PEM, as the stack reads it.
    with open(path, "wb") as handle:
        handle.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ))


def _write_pair(key, key_path, certificate, certificate_path):
    # A key and its certificate, each PEM in its file.
    _write_key(key, key_path)
    with open(certificate_path, "w") as handle:
        handle.write(pem(certificate))


class Authority:
    """
    A CA: its key and certificate (self-signed, or signed by another).
    """

    def __init__(self, common_name, now, signer=None, rsa_key=False, days=30, start=-1):
        self.key = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if rsa_key else ec.generate_private_key(ec.SECP256R1())
        )
        self.name = name(common_name)
        issuer_name = signer.name if signer is not None else self.name
        issuer_key = signer.key if signer is not None else self.key
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(issuer_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + start * DAY)
            .not_valid_after(now + days * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(issuer_key, hashes.SHA256())
        )

    @classmethod
    def load(cls, key_path, certificate_path):
        """
        A CA from its PEM files (e.g. L{openocpp.pki.make_ca}'s: the one a
        central system signs CSRs with).
        """
        authority = cls.__new__(cls)
        with open(key_path, "rb") as handle:
            authority.key = serialization.load_pem_private_key(handle.read(), None)
        with open(certificate_path, "rb") as handle:
            authority.certificate = x509.load_pem_x509_certificate(handle.read())
        authority.name = authority.certificate.subject
        return authority

    @property
    def pem(self) -> str:
        return pem(self.certificate)

    def issue(self, subject, public_key, now, start=-1, days=30, ca=False, server_names=()):
        """
        A certificate for C{public_key} under this CA (for a TLS server:
        with C{server_names}, IP addresses or DNS names).
        """
        builder = x509.CertificateBuilder()
        if server_names:
            builder = builder.add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address(each)) if each[0].isdigit()
                else x509.DNSName(each)
                for each in server_names
            ]), critical=False)
        return (
            builder
            .subject_name(subject)
            .issuer_name(self.name)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + start * DAY)
            .not_valid_after(now + days * DAY)
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )

    def sign_csr(self, csr_pem: str, now, subject=None, **kwargs):
        """
        The certificate for a CSR (its subject unless C{subject} is given).
        """
        csr = x509.load_pem_x509_csr(csr_pem.encode("ascii"))
        return self.issue(subject or csr.subject, csr.public_key(), now, **kwargs)

    def server(self, folder, now, host="127.0.0.1"):
        """
        Write a TLS server's key and certificate (for C{host}) under this CA.

        @return: (key file, certificate file).
        """
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self.issue(name(host), key.public_key(), now, server_names=[host])
        key_path, certificate_path = f"{folder}/server.key.pem", f"{folder}/server.crt.pem"
        _write_pair(key, key_path, certificate, certificate_path)
        return key_path, certificate_path

    def write_issued(self, folder, subject, now, days=30):
        """
        Write a client certificate under this CA, valid for C{days} days,
        and its key.

        @return: (certificate, certificate file, key file).
        """
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = self.issue(subject, key.public_key(), now, days=days)
        certificate_path, key_path = f"{folder}/client.crt.pem", f"{folder}/client.key.pem"
        _write_pair(key, key_path, certificate, certificate_path)
        return certificate, certificate_path, key_path

    def write_key(self, path):
        """
        Write the CA's private key (unencrypted PEM) to C{path}.
        """
        _write_key(self.key, path)
        return path

    def write(self, path):
        """
        Write the CA certificate to C{path}.
        """
        with open(path, "w") as handle:
            handle.write(self.pem)
        return path

    def crl(self, revoked, now, signer=None, der=False) -> bytes:
        """
        A CRL of this CA listing the certificates C{revoked}, signed with
        this CA's key (or C{signer}'s, for a forged one), PEM or DER.
        """
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.name)
            .last_update(now - DAY)
            .next_update(now + DAY)
        )
        for certificate in revoked:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(certificate.serial_number)
                .revocation_date(now - DAY)
                .build()
            )
        crl = builder.sign((signer or self).key, hashes.SHA256())
        return crl.public_bytes(serialization.Encoding.DER if der else serialization.Encoding.PEM)

    def sign_file(self, content: bytes) -> bytes:
        """
        A signature of C{content} with SHA-256 (ECDSA, or RSA-PSS).
        """
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(
                content,
                padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH),
                hashes.SHA256(),
            )
        return self.key.sign(content, ec.ECDSA(hashes.SHA256()))
