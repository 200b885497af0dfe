#include "jwks.h"

#include "logging/logging.h"
#include "net/boundednetworkaccessmanager.h"
#include "net/wellformed.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QNetworkReply>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

namespace Signet {

namespace {

// RAII for the OpenSSL objects used while importing a key.
struct BnFree { void operator()(BIGNUM *p) const { BN_free(p); } };
struct ParamBldFree { void operator()(OSSL_PARAM_BLD *p) const { OSSL_PARAM_BLD_free(p); } };
struct ParamFree { void operator()(OSSL_PARAM *p) const { OSSL_PARAM_free(p); } };
struct PkeyCtxFree { void operator()(EVP_PKEY_CTX *p) const { EVP_PKEY_CTX_free(p); } };
struct PkeyFree { void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); } };
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
// OpenSSL leaves failures on the thread's error queue, which Qt's TLS backend reads too: leave it
// empty whichever way a function returns.
struct ClearOpenSslErrors { ~ClearOpenSslErrors() { ERR_clear_error(); } };
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// RSA keys below 2048 bits MUST NOT be used for RS*/PS* (RFC 7518 §3.3, §3.5).
constexpr int MinRsaBits = 2048;
// OpenSSL refuses to verify with larger moduli (OPENSSL_RSA_MAX_MODULUS_BITS); checking one
// would only cost time.
constexpr int MaxRsaBits = 16384;

struct Curve {
    const char *jwkName;     // "crv" (RFC 7518 §6.2.1.1)
    const char *opensslName; // OSSL_PKEY_PARAM_GROUP_NAME
    int coordinateBytes;     // x and y are exactly this long (RFC 7518 §6.2.1.2-3)
    const char *algorithm;   // the one JWS algorithm for this curve (RFC 7518 §3.4)
};
constexpr Curve Curves[] = {
    {"P-256", "prime256v1", 32, "ES256"},
    {"P-384", "secp384r1", 48, "ES384"},
};

const Curve *curveNamed(const QString &name)
{
    for (const Curve &curve : Curves) {
        if (name == QLatin1String(curve.jwkName))
            return &curve;
    }
    return nullptr;
}

// Builds a public key from OSSL_PARAMs; then runs OpenSSL's public-key check (RSA: odd modulus,
// exponent range, no small factors; EC: point on the curve, right order).
PkeyPtr importPublicKey(const char *keyType, OSSL_PARAM_BLD *builder, const QString &importFailure, QString *why)
{
    std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(builder));
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, keyType, nullptr));
    EVP_PKEY *raw = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 || EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
        *why = importFailure;
        return {};
    }
    PkeyPtr key(raw);
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        *why = QStringLiteral("it fails OpenSSL's public-key check (an even or unit exponent, a modulus with small factors, a point of the wrong order)");
        return {};
    }
    return key;
}

// Reads a base64url member holding a big-endian number or coordinate.
bool binaryMember(const QJsonObject &jwk, const char *name, QByteArray *out, QString *why)
{
    const QJsonValue value = jwk.value(QLatin1String(name));
    if (!value.isString() || value.toString().isEmpty()) {
        *why = QStringLiteral("the member '%1' is missing").arg(QLatin1String(name));
        return false;
    }
    if (!decodeBase64Url(value.toString().toLatin1(), out)) {
        *why = QStringLiteral("the member '%1' is not valid base64url").arg(QLatin1String(name));
        return false;
    }
    return true;
}

} // namespace

QStringList supportedJwsAlgorithms()
{
    return {QStringLiteral("RS256"), QStringLiteral("RS384"), QStringLiteral("RS512"), QStringLiteral("PS256"),
            QStringLiteral("PS384"), QStringLiteral("PS512"), QStringLiteral("ES256"), QStringLiteral("ES384")};
}

bool decodeBase64Url(const QByteArray &text, QByteArray *out)
{
    const auto options = QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors;
    const auto decoded = QByteArray::fromBase64Encoding(text, options);
    if (!decoded)
        return false;
    // Re-encoding catches padding, '+' and '/', and non-zero trailing bits in one comparison.
    if (decoded.decoded.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals) != text)
        return false;
    *out = decoded.decoded;
    return true;
}

JsonWebKey JsonWebKey::fromJson(const QJsonObject &jwk, QString *whyUnusable)
{
    const ClearOpenSslErrors clearErrors;
    QString ignored;
    QString &why = whyUnusable ? *whyUnusable : ignored;
    why = QStringLiteral("OpenSSL could not import it");
    JsonWebKey key;

    const QJsonValue kid = jwk.value(QLatin1String("kid"));
    if (!kid.isUndefined() && !kid.isString()) {
        why = QStringLiteral("its 'kid' is not a string");
        return {};
    }
    key.m_keyId = kid.toString();

    const QString kty = jwk.value(QLatin1String("kty")).toString();
    if (kty == QLatin1String("oct")) {
        // A shared secret: an ID token "signed" with it would be HMAC, which a public client
        // cannot verify without holding the secret itself (RFC 8725 §2.1, §3.1).
        why = QStringLiteral("it is a shared-secret ('oct') key");
        return {};
    }

    // RFC 7517 §4.2: "use" other than "sig" (typically "enc") is not for verifying signatures.
    const QJsonValue use = jwk.value(QLatin1String("use"));
    if (!use.isUndefined() && use.toString() != QLatin1String("sig")) {
        why = QStringLiteral("it is meant for use '%1', not 'sig'").arg(use.toString());
        return {};
    }
    // RFC 7517 §4.3: if operations are listed, "verify" must be one of them.
    const QJsonValue ops = jwk.value(QLatin1String("key_ops"));
    if (!ops.isUndefined() && !ops.toArray().contains(QStringLiteral("verify"))) {
        why = QStringLiteral("its 'key_ops' do not include 'verify'");
        return {};
    }
    // A published private part means anyone can sign with this key: it proves nothing.
    for (const char *secret : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
        if (jwk.contains(QLatin1String(secret))) {
            why = QStringLiteral("the provider publishes its private part ('%1'); anyone could sign with it").arg(QLatin1String(secret));
            return {};
        }
    }
    const QJsonValue alg = jwk.value(QLatin1String("alg"));
    if (!alg.isUndefined()) {
        if (!supportedJwsAlgorithms().contains(alg.toString())) {
            why = QStringLiteral("it is meant for algorithm '%1', which Signet does not verify").arg(alg.toString());
            return {};
        }
        key.m_algorithm = alg.toString();
    }

    std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> builder(OSSL_PARAM_BLD_new());
    PkeyPtr evp;
    if (kty == QLatin1String("RSA")) {
        // RFC 7518 §6.3.1: modulus "n" and exponent "e", big-endian unsigned.
        QByteArray n, e;
        if (!binaryMember(jwk, "n", &n, &why) || !binaryMember(jwk, "e", &e, &why))
            return {};
        if (!key.m_algorithm.isEmpty() && !key.m_algorithm.startsWith(QLatin1String("RS")) && !key.m_algorithm.startsWith(QLatin1String("PS"))) {
            why = QStringLiteral("it is an RSA key but names algorithm '%1'").arg(key.m_algorithm);
            return {};
        }
        BnPtr bnN(BN_bin2bn(reinterpret_cast<const unsigned char *>(n.constData()), int(n.size()), nullptr));
        BnPtr bnE(BN_bin2bn(reinterpret_cast<const unsigned char *>(e.constData()), int(e.size()), nullptr));
        if (!bnN || !bnE)
            return {};
        if (BN_num_bits(bnN.get()) < MinRsaBits) {
            why = QStringLiteral("its RSA modulus has %1 bits; at least %2 are required").arg(BN_num_bits(bnN.get())).arg(MinRsaBits);
            return {};
        }
        if (BN_num_bits(bnN.get()) > MaxRsaBits) {
            why = QStringLiteral("its RSA modulus has %1 bits; OpenSSL verifies at most %2").arg(BN_num_bits(bnN.get())).arg(MaxRsaBits);
            return {};
        }
        if (!builder || !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bnN.get()) ||
            !OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bnE.get()))
            return {};
        evp = importPublicKey("RSA", builder.get(), QStringLiteral("OpenSSL could not import it"), &why);
        key.m_type = Type::Rsa;
    } else if (kty == QLatin1String("EC")) {
        // RFC 7518 §6.2.1: curve, and the point as x and y of exactly the curve's size.
        const QString crv = jwk.value(QLatin1String("crv")).toString();
        const Curve *curve = curveNamed(crv);
        if (!curve) {
            why = QStringLiteral("its curve '%1' is not one Signet supports (P-256, P-384)").arg(crv);
            return {};
        }
        if (!key.m_algorithm.isEmpty() && key.m_algorithm != QLatin1String(curve->algorithm)) {
            why = QStringLiteral("it is a %1 key but names algorithm '%2'").arg(crv, key.m_algorithm);
            return {};
        }
        QByteArray x, y;
        if (!binaryMember(jwk, "x", &x, &why) || !binaryMember(jwk, "y", &y, &why))
            return {};
        if (x.size() != curve->coordinateBytes || y.size() != curve->coordinateBytes) {
            why = QStringLiteral("its coordinates are not %1 bytes long, as %2 requires").arg(curve->coordinateBytes).arg(crv);
            return {};
        }
        // The uncompressed SEC1 point: 0x04 || x || y.
        const QByteArray point = QByteArray(1, '\x04') + x + y;
        if (!builder || !OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve->opensslName, 0) ||
            !OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.constData(), size_t(point.size())))
            return {};
        // OpenSSL refuses to import a point that is not on the curve (invalid-curve attacks).
        evp = importPublicKey("EC", builder.get(), QStringLiteral("its point is not on the curve %1").arg(crv), &why);
        key.m_type = Type::Ec;
        key.m_curve = crv;
    } else {
        why = kty.isEmpty() ? QStringLiteral("it has no 'kty'") : QStringLiteral("its key type '%1' is not one Signet supports (RSA, EC)").arg(kty);
        return {};
    }
    if (!evp)
        return {};
    why.clear();
    key.m_bits = EVP_PKEY_get_bits(evp.get());
    key.m_key = std::shared_ptr<EVP_PKEY>(evp.release(), PkeyFree());
    return key;
}

QString JsonWebKey::describe() const
{
    const QString id = m_keyId.isEmpty() ? QStringLiteral("without kid") : QStringLiteral("'%1'").arg(m_keyId);
    if (m_type == Type::Rsa)
        return QStringLiteral("RSA key %1 (%2 bits)").arg(id).arg(m_bits);
    return QStringLiteral("EC key %1 (%2)").arg(id, m_curve);
}

bool JsonWebKey::canVerify(const QString &alg) const
{
    if (isNull() || !supportedJwsAlgorithms().contains(alg))
        return false;
    if (!m_algorithm.isEmpty() && m_algorithm != alg)
        return false;
    if (alg.startsWith(QLatin1String("RS")) || alg.startsWith(QLatin1String("PS")))
        return m_type == Type::Rsa;
    const Curve *curve = curveNamed(m_curve);
    return m_type == Type::Ec && curve && alg == QLatin1String(curve->algorithm);
}

JsonWebKeySet JsonWebKeySet::fromJson(const QJsonObject &document, JwksError *error)
{
    JsonWebKeySet set;
    JwksError result;
    const QJsonValue keys = document.value(QLatin1String("keys"));
    if (!keys.isArray()) {
        result = {JwksError::Code::BadDocument, QStringLiteral("The signing key document has no 'keys' array.")};
    } else {
        const QJsonArray array = keys.toArray();
        for (int i = 0; i < array.size(); ++i) {
            const QJsonObject jwk = array.at(i).toObject();
            QString why;
            JsonWebKey key;
            if (!array.at(i).isObject())
                why = QStringLiteral("it is not a JSON object");
            else if (i >= MaxKeys)
                why = QStringLiteral("the set holds more than %1 keys").arg(MaxKeys);
            else
                key = JsonWebKey::fromJson(jwk, &why);
            if (key.isNull()) {
                const QString kid = jwk.value(QLatin1String("kid")).toString();
                qCInfo(lcAuth).noquote() << QStringLiteral("JWKS: skipping key #%1 (kid '%2'): %3").arg(i).arg(kid, why);
                set.m_skipped.append({i, kid, why});
            } else {
                set.m_keys.append(key);
            }
        }
        if (set.m_keys.isEmpty())
            result = {JwksError::Code::NoUsableKey, QStringLiteral("The signing key document holds no key Signet can verify ID tokens with (%1 skipped).").arg(set.m_skipped.size())};
    }
    if (error)
        *error = result;
    return set;
}

JsonWebKeySet::Lookup JsonWebKeySet::find(const QString &keyId, const QString &alg) const
{
    Lookup lookup;
    if (!keyId.isEmpty()) {
        bool kidSeen = false;
        for (const JsonWebKey &key : m_keys) {
            if (key.keyId() != keyId)
                continue;
            kidSeen = true;
            if (key.canVerify(alg))
                return {Lookup::Result::Found, key};
            lookup.key = key; // for the message: which key the kid named
        }
        lookup.result = kidSeen ? Lookup::Result::WrongKeyType : Lookup::Result::UnknownKeyId;
        return lookup;
    }
    // No kid: acceptable only when the choice is unambiguous (OpenID Connect Core §10.1).
    int fitting = 0;
    for (const JsonWebKey &key : m_keys) {
        if (key.canVerify(alg)) {
            lookup.key = key;
            ++fitting;
        }
    }
    lookup.result = fitting == 1 ? Lookup::Result::Found : fitting == 0 ? Lookup::Result::UnknownKeyId : Lookup::Result::Ambiguous;
    if (fitting != 1)
        lookup.key = {};
    return lookup;
}

bool JsonWebKeySet::contains(const QString &keyId) const
{
    return std::any_of(m_keys.cbegin(), m_keys.cend(), [&](const JsonWebKey &key) { return key.keyId() == keyId; });
}

// ---------------------------------------------------------------------------------------------

JwksCache::JwksCache(const QString &providerName, QObject *parent)
    : QObject(parent)
    , m_providerName(providerName)
{
}

JwksCache::~JwksCache()
{
    if (m_reply) {
        // No finished() from a destructor: disconnect before aborting.
        m_reply->disconnect(this);
        m_reply->abort();
    }
}

void JwksCache::fetch(QNetworkAccessManager *network, const QUrl &jwksUri)
{
    if (m_reply && jwksUri == m_uri && network == m_network)
        return; // join the running fetch
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply = nullptr;
    }

    // Keys fetched over plain http could be swapped by anyone on the path, and with them every
    // identity (RFC 8252 §8.1 applies to all endpoints). Plain http only to a loopback provider.
    const bool loopback = isLoopbackUrl(jwksUri);
    if (!network || !jwksUri.isValid() || (jwksUri.scheme() != QLatin1String("https") && !(jwksUri.scheme() == QLatin1String("http") && loopback))) {
        m_network = nullptr; // nothing for refreshForUnknownKey() to refetch
        m_uri.clear();
        const quint64 generation = ++m_generation;
        const JwksError error{JwksError::Code::BadDocument,
                              QStringLiteral("%1 publishes its signing keys at '%2', which is not an https address; Signet refuses to trust keys fetched that way. Ask IT.")
                                  .arg(m_providerName, jwksUri.toString())};
        // Always asynchronous, like a network failure: callers connect after calling fetch().
        QMetaObject::invokeMethod(this, [this, generation, error] {
            if (generation == m_generation)
                finish(error);
        }, Qt::QueuedConnection);
        return;
    }
    m_network = network;
    m_uri = jwksUri;
    start();
}

bool JwksCache::isFetching() const
{
    return !m_reply.isNull();
}

bool JwksCache::refreshForUnknownKey()
{
    if (m_reply)
        return true;
    if (!m_network || m_uri.isEmpty())
        return false;
    if (m_lastFetch.isValid() && m_lastFetch.elapsed() < m_minimumInterval.count()) {
        // Debug only: forged tokens must not be able to flood the log either.
        qCDebug(lcAuth) << "JWKS: not refetching for an unknown key; the last fetch was" << m_lastFetch.elapsed() << "ms ago";
        return false;
    }
    qCInfo(lcAuth).noquote() << "JWKS: a token names an unknown key; refetching" << m_uri.toString();
    start();
    return true;
}

void JwksCache::start()
{
    const quint64 generation = ++m_generation;
    m_lastFetch.start();
    QNetworkRequest request(m_uri);
    request.setRawHeader("Accept", "application/jwk-set+json, application/json");
    QNetworkReply *reply = m_network->get(request);
    m_reply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply, generation] { onReplyFinished(reply, generation); });
}

void JwksCache::onReplyFinished(QNetworkReply *reply, quint64 generation)
{
    reply->deleteLater();
    if (generation != m_generation)
        return; // replaced by a newer fetch
    m_reply = nullptr;
    const JsonResponse response = JsonResponse::fromReply(reply);
    const QString url = m_uri.toString();
    if (response.isNetworkFailure()) {
        finish({JwksError::Code::Unreachable,
                QStringLiteral("Could not fetch the signing keys of %1 from %2: %3. Check your network connection and try again.").arg(m_providerName, url, response.detail)});
        return;
    }
    if (!response.ok()) {
        finish({JwksError::Code::BadDocument,
                QStringLiteral("%1 did not return usable signing keys from %2 (%3). Ask IT.").arg(m_providerName, url, response.detail)});
        return;
    }
    JwksError error;
    const JsonWebKeySet keys = JsonWebKeySet::fromJson(response.body, &error);
    if (error.isError()) {
        error.message = QStringLiteral("The signing keys of %1 at %2 are unusable. %3 Ask IT.").arg(m_providerName, url, error.message);
        finish(error);
        return;
    }
    m_keys = keys;
    m_fetchedAt.start();
    qCDebug(lcAuth) << "JWKS: fetched" << keys.keys().size() << "keys from" << url;
    finish({});
}

bool JwksCache::isFresh() const
{
    return !m_keys.isEmpty() && m_fetchedAt.isValid() && m_fetchedAt.elapsed() < m_maxAge.count();
}

void JwksCache::finish(const JwksError &error)
{
    m_error = error;
    if (error.isError())
        qCWarning(lcAuth).noquote() << "JWKS:" << error.message;
    Q_EMIT finished();
}

} // namespace Signet
