// Test-only key pairs and a JWS signer: the identity provider's side of ID tokens, made at run
// time for each test run (no private key is ever written to disk or committed). Signet itself
// never signs. Shared by tst_idtoken, tst_jwks and tst_signinattempt.
#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

namespace TestKeys {

inline QByteArray b64(const QByteArray &bytes)
{
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

inline QByteArray bnBytes(const BIGNUM *bn, int width = 0)
{
    QByteArray out(width ? width : BN_num_bytes(bn), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), int(out.size()));
    return out;
}

// A key pair made for this test run, the signer the provider would be. Test-only: Signet
// itself never signs.
struct TestKey {
    std::shared_ptr<EVP_PKEY> pkey;
    QString kid;
    QString crv; // empty for RSA

    static TestKey rsa(const QString &kid, int bits = 2048)
    {
        return {std::shared_ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits)), EVP_PKEY_free), kid, {}};
    }
    static TestKey ec(const QString &kid, const char *curve)
    {
        return {std::shared_ptr<EVP_PKEY>(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve), EVP_PKEY_free), kid, QString::fromLatin1(curve)};
    }

    QByteArray bnParam(const char *name, int width = 0) const
    {
        BIGNUM *bn = nullptr;
        EVP_PKEY_get_bn_param(pkey.get(), name, &bn);
        const QByteArray bytes = bnBytes(bn, width);
        BN_free(bn);
        return bytes;
    }

    // The public JWK, as a provider publishes it (RFC 7518 §6.2.1, §6.3.1).
    QJsonObject jwk() const
    {
        QJsonObject jwk{{QStringLiteral("kid"), kid}, {QStringLiteral("use"), QStringLiteral("sig")}};
        if (crv.isEmpty()) {
            jwk.insert(QStringLiteral("kty"), QStringLiteral("RSA"));
            jwk.insert(QStringLiteral("n"), QString::fromLatin1(b64(bnParam(OSSL_PKEY_PARAM_RSA_N))));
            jwk.insert(QStringLiteral("e"), QString::fromLatin1(b64(bnParam(OSSL_PKEY_PARAM_RSA_E))));
        } else {
            const int width = crv == QLatin1String("P-256") ? 32 : 48;
            jwk.insert(QStringLiteral("kty"), QStringLiteral("EC"));
            jwk.insert(QStringLiteral("crv"), crv);
            jwk.insert(QStringLiteral("x"), QString::fromLatin1(b64(bnParam(OSSL_PKEY_PARAM_EC_PUB_X, width))));
            jwk.insert(QStringLiteral("y"), QString::fromLatin1(b64(bnParam(OSSL_PKEY_PARAM_EC_PUB_Y, width))));
        }
        return jwk;
    }

    // The public key as PEM (SubjectPublicKeyInfo): what an attacker feeds an HMAC.
    QByteArray publicPem() const
    {
        BIO *bio = BIO_new(BIO_s_mem());
        PEM_write_bio_PUBKEY(bio, pkey.get());
        char *data = nullptr;
        const long size = BIO_get_mem_data(bio, &data);
        const QByteArray pem(data, int(size));
        BIO_free(bio);
        return pem;
    }

    // A JWS signature: PKCS#1 v1.5, PSS (salt = hash length) or ECDSA as raw R || S. With
    // `der`, ECDSA is left in OpenSSL's DER form, which JWS does not allow.
    QByteArray sign(const QString &alg, const QByteArray &input, bool der = false) const
    {
        const EVP_MD *md = alg.endsWith(QLatin1String("256")) ? EVP_sha256() : alg.endsWith(QLatin1String("384")) ? EVP_sha384() : EVP_sha512();
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        EVP_PKEY_CTX *pctx = nullptr;
        EVP_DigestSignInit(ctx, &pctx, md, nullptr, pkey.get());
        if (alg.startsWith(QLatin1String("PS"))) {
            EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
            EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
            EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md);
        }
        size_t length = 0;
        const auto *data = reinterpret_cast<const unsigned char *>(input.constData());
        EVP_DigestSign(ctx, nullptr, &length, data, size_t(input.size()));
        QByteArray signature(int(length), '\0');
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(signature.data()), &length, data, size_t(input.size()));
        signature.resize(int(length));
        EVP_MD_CTX_free(ctx);
        if (crv.isEmpty() || der)
            return signature;
        const int width = crv == QLatin1String("P-256") ? 32 : 48;
        const auto *p = reinterpret_cast<const unsigned char *>(signature.constData());
        ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, long(signature.size()));
        const BIGNUM *r = nullptr, *s = nullptr;
        ECDSA_SIG_get0(sig, &r, &s);
        const QByteArray raw = bnBytes(r, width) + bnBytes(s, width);
        ECDSA_SIG_free(sig);
        return raw;
    }

    // A compact JWS (RFC 7515 §7.1) over `claims`, with this key's kid and `alg` in the header.
    QByteArray token(const QString &alg, const QJsonObject &claims, const QJsonObject &extraHeader = {}) const
    {
        QJsonObject header{{QStringLiteral("alg"), alg}, {QStringLiteral("kid"), kid}, {QStringLiteral("typ"), QStringLiteral("JWT")}};
        for (auto it = extraHeader.constBegin(); it != extraHeader.constEnd(); ++it)
            header.insert(it.key(), it.value());
        const QByteArray input = b64(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.' + b64(QJsonDocument(claims).toJson(QJsonDocument::Compact));
        return input + '.' + b64(sign(alg, input));
    }
    QByteArray rs256Token(const QJsonObject &claims) const { return token(QStringLiteral("RS256"), claims); }
};

} // namespace TestKeys
