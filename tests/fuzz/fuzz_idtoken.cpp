// Fuzzes the JOSE input path: JsonWebKeySet::fromJson on a provider's key document and
// IdTokenValidator::validate on a compact JWS, against a key set made at start-up.
//
// Input: "<JWKS JSON>\f<token>"; without a form feed the whole input is the token.
// Invariants: nothing crashes or leaks; a token accepted has a subject and the expected issuer and
// audience; a message never contains the token it refuses.

#include "fuzzsupport.h"

#include "auth/idtoken.h"
#include "auth/jwks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>

using namespace Signet;

namespace {

JsonWebKeySet *fixedKeys = nullptr;

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QByteArray bnParam(EVP_PKEY *key, const char *name, int width = 0)
{
    BIGNUM *bn = nullptr;
    EVP_PKEY_get_bn_param(key, name, &bn);
    QByteArray out(width ? width : BN_num_bytes(bn), '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), int(out.size()));
    BN_free(bn);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    SignetFuzz::initialize(argc, argv);
    // One RSA and one EC key, as a provider publishes them; generated here, never stored.
    EVP_PKEY *rsa = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(2048));
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    const QJsonArray keys{
        QJsonObject{{QStringLiteral("kty"), QStringLiteral("RSA")}, {QStringLiteral("kid"), QStringLiteral("k1")}, {QStringLiteral("use"), QStringLiteral("sig")},
                    {QStringLiteral("n"), b64(bnParam(rsa, OSSL_PKEY_PARAM_RSA_N))}, {QStringLiteral("e"), b64(bnParam(rsa, OSSL_PKEY_PARAM_RSA_E))}},
        QJsonObject{{QStringLiteral("kty"), QStringLiteral("EC")}, {QStringLiteral("kid"), QStringLiteral("k2")}, {QStringLiteral("crv"), QStringLiteral("P-256")},
                    {QStringLiteral("x"), b64(bnParam(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32))}, {QStringLiteral("y"), b64(bnParam(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32))}}};
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    fixedKeys = new JsonWebKeySet(JsonWebKeySet::fromJson(QJsonObject{{QStringLiteral("keys"), keys}}));
    if (fixedKeys->keys().size() != 2)
        SignetFuzz::fail("fixed key set", __FILE__, __LINE__, QStringLiteral("the generated keys were not imported"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype split = input.indexOf('\f');
    const QByteArray token = split < 0 ? input : input.mid(split + 1);

    IdTokenExpectations expect;
    expect.issuer = QStringLiteral("https://idp.example");
    expect.clientId = QStringLiteral("signet");
    expect.nonce = QStringLiteral("n0nce-value");
    expect.allowedAlgorithms = supportedJwsAlgorithms();
    expect.providerName = QStringLiteral("Fuzz");

    JsonWebKeySet keys = *fixedKeys;
    if (split >= 0) {
        JwksError error;
        keys = JsonWebKeySet::fromJson(QJsonDocument::fromJson(input.left(split)).object(), &error);
        FUZZ_CHECK(keys.keys().size() <= JsonWebKeySet::MaxKeys, QStringLiteral("%1 keys").arg(keys.keys().size()));
    }

    const IdTokenResult result = IdTokenValidator::validate(token, keys, expect);
    if (result.isValid()) {
        FUZZ_CHECK(!result.claims.value(QLatin1String("sub")).toString().isEmpty(), SignetFuzz::printable(token));
        FUZZ_CHECK(result.claims.value(QLatin1String("iss")).toString() == expect.issuer, SignetFuzz::printable(token));
    } else if (token.size() >= 16) {
        FUZZ_CHECK(!result.error.message.contains(QString::fromLatin1(token)), QStringLiteral("the message repeats the token"));
    }
    return 0;
}
