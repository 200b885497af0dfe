#include "idtoken.h"

#include "logging/logging.h"
#include "net/wellformed.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <memory>

namespace Signet {

namespace {

using Check = IdTokenError::Check;

struct MdCtxFree { void operator()(EVP_MD_CTX *p) const { EVP_MD_CTX_free(p); } };
struct EcdsaSigFree { void operator()(ECDSA_SIG *p) const { ECDSA_SIG_free(p); } };
// OpenSSL leaves failures on the thread's error queue, which Qt's TLS backend reads too.
struct ClearOpenSslErrors { ~ClearOpenSslErrors() { ERR_clear_error(); } };

const EVP_MD *digestFor(const QString &alg)
{
    if (alg.endsWith(QLatin1String("256")))
        return EVP_sha256();
    if (alg.endsWith(QLatin1String("384")))
        return EVP_sha384();
    if (alg.endsWith(QLatin1String("512")))
        return EVP_sha512();
    return nullptr;
}

// JWS carries an ECDSA signature as the fixed-size R || S (RFC 7518 §3.4); OpenSSL verifies the
// DER SEQUENCE of two INTEGERs (RFC 3279 §2.2.3).
QByteArray ecdsaRawToDer(const QByteArray &raw, int coordinateBytes)
{
    if (raw.size() != 2 * coordinateBytes)
        return {};
    const auto *bytes = reinterpret_cast<const unsigned char *>(raw.constData());
    std::unique_ptr<ECDSA_SIG, EcdsaSigFree> sig(ECDSA_SIG_new());
    BIGNUM *r = BN_bin2bn(bytes, coordinateBytes, nullptr);
    BIGNUM *s = BN_bin2bn(bytes + coordinateBytes, coordinateBytes, nullptr);
    if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) { // set0 takes r and s on success
        BN_free(r);
        BN_free(s);
        return {};
    }
    const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
    if (length <= 0)
        return {};
    QByteArray der(length, Qt::Uninitialized);
    auto *out = reinterpret_cast<unsigned char *>(der.data());
    if (i2d_ECDSA_SIG(sig.get(), &out) != length)
        return {};
    return der;
}

// Verifies a JWS signature (RFC 7515 §5.2 step 8) with OpenSSL's EVP interface. The key has
// already been matched to the algorithm family (JsonWebKey::canVerify).
bool verifySignature(const JsonWebKey &key, const QString &alg, const QByteArray &signingInput, const QByteArray &signature)
{
    const ClearOpenSslErrors clearErrors;
    const EVP_MD *md = digestFor(alg);
    if (!md || key.isNull())
        return false;

    QByteArray encoded = signature;
    if (alg.startsWith(QLatin1String("ES"))) {
        encoded = ecdsaRawToDer(signature, alg == QLatin1String("ES256") ? 32 : 48);
        if (encoded.isEmpty())
            return false;
    } else if (signature.size() != EVP_PKEY_get_size(key.evpKey())) {
        return false; // an RSA signature is exactly as long as the modulus (RFC 8017 §8.2.2 step 1)
    }

    std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pkeyCtx = nullptr; // owned by ctx
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pkeyCtx, md, nullptr, key.evpKey()) != 1)
        return false;
    if (alg.startsWith(QLatin1String("PS"))) {
        // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash output.
        if (EVP_PKEY_CTX_set_rsa_padding(pkeyCtx, RSA_PKCS1_PSS_PADDING) != 1 || EVP_PKEY_CTX_set_rsa_pss_saltlen(pkeyCtx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
            EVP_PKEY_CTX_set_rsa_mgf1_md(pkeyCtx, md) != 1)
            return false;
    } else if (alg.startsWith(QLatin1String("RS"))) {
        if (EVP_PKEY_CTX_set_rsa_padding(pkeyCtx, RSA_PKCS1_PADDING) != 1) // RFC 7518 §3.3
            return false;
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(encoded.constData()), size_t(encoded.size()),
                            reinterpret_cast<const unsigned char *>(signingInput.constData()), size_t(signingInput.size())) == 1;
}

// A NumericDate (RFC 7519 §2) for a message, in UTC; clamped so absurd values stay printable.
QString utcText(double secondsSinceEpoch)
{
    const auto seconds = qint64(std::clamp(secondsSinceEpoch, -1e11, 1e11));
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
}

// "aud" is a string or an array of strings (RFC 7519 §4.1.3). Returns false when malformed.
bool audiencesOf(const QJsonObject &claims, QStringList *out)
{
    const QJsonValue aud = claims.value(QLatin1String("aud"));
    QStringList audiences;
    if (aud.isString()) {
        audiences << aud.toString();
    } else if (aud.isArray()) {
        for (const QJsonValue &value : aud.toArray()) {
            if (!value.isString())
                return false;
            audiences << value.toString();
        }
    } else {
        return false;
    }
    audiences.removeDuplicates();
    *out = audiences;
    return true;
}

} // namespace

QString IdTokenError::checkName(Check check)
{
    switch (check) {
    case Check::None: return QStringLiteral("none");
    case Check::Expectations: return QStringLiteral("expectations");
    case Check::Format: return QStringLiteral("format");
    case Check::Header: return QStringLiteral("header");
    case Check::Algorithm: return QStringLiteral("algorithm");
    case Check::EmbeddedKey: return QStringLiteral("embedded_key");
    case Check::CriticalHeader: return QStringLiteral("critical_header");
    case Check::UnknownKey: return QStringLiteral("unknown_key");
    case Check::AmbiguousKey: return QStringLiteral("ambiguous_key");
    case Check::KeyType: return QStringLiteral("key_type");
    case Check::Signature: return QStringLiteral("signature");
    case Check::Payload: return QStringLiteral("payload");
    case Check::Issuer: return QStringLiteral("issuer");
    case Check::Audience: return QStringLiteral("audience");
    case Check::UntrustedAudience: return QStringLiteral("untrusted_audience");
    case Check::AuthorizedParty: return QStringLiteral("authorized_party");
    case Check::Expiry: return QStringLiteral("expiry");
    case Check::IssuedAt: return QStringLiteral("issued_at");
    case Check::NotBefore: return QStringLiteral("not_before");
    case Check::Subject: return QStringLiteral("subject");
    case Check::Nonce: return QStringLiteral("nonce");
    case Check::AuthTime: return QStringLiteral("auth_time");
    }
    return QStringLiteral("unknown");
}

QStringList IdTokenValidator::allowedAlgorithms(const QStringList &advertised)
{
    if (advertised.isEmpty())
        return {QStringLiteral("RS256")};
    QStringList allowed;
    for (const QString &alg : supportedJwsAlgorithms()) {
        if (advertised.contains(alg))
            allowed << alg;
    }
    return allowed;
}

IdTokenResult IdTokenValidator::validate(const QByteArray &compactJws, const JsonWebKeySet &keys, const IdTokenExpectations &expect)
{
    const QString provider = expect.providerName.isEmpty() ? QStringLiteral("the provider") : expect.providerName;
    auto fail = [](Check check, const QString &message) {
        qCDebug(lcAuth) << "ID token refused:" << IdTokenError::checkName(check);
        IdTokenResult result;
        result.error = {check, message};
        return result;
    };

    QStringList allowed = expect.allowedAlgorithms;
    allowed.removeIf([](const QString &alg) { return !supportedJwsAlgorithms().contains(alg); });
    if (expect.issuer.isEmpty() || expect.clientId.isEmpty() || allowed.isEmpty()) {
        return fail(Check::Expectations, QStringLiteral("Signet cannot check the ID token from %1: it was not given the issuer, the client id or an "
                                                        "algorithm it supports. Check the provider's configuration and discovery document.")
                                             .arg(provider));
    }

    // JWS compact serialization (RFC 7515 §7.1): exactly three strict base64url parts. An empty
    // signature is let through to the algorithm check, which names "none" for what it is.
    const QString malformed = QStringLiteral("The ID token from %1 is not a well-formed signed token (three base64url parts).").arg(provider);
    if (compactJws.size() > MaxTokenBytes)
        return fail(Check::Format, malformed);
    const QList<QByteArray> parts = compactJws.split('.');
    QByteArray headerBytes, payloadBytes, signature;
    if (parts.size() != 3 || parts.at(0).isEmpty() || parts.at(1).isEmpty() || !decodeBase64Url(parts.at(0), &headerBytes) ||
        !decodeBase64Url(parts.at(1), &payloadBytes) || !decodeBase64Url(parts.at(2), &signature))
        return fail(Check::Format, malformed);

    const QJsonDocument headerDocument = QJsonDocument::fromJson(headerBytes);
    if (!headerDocument.isObject())
        return fail(Check::Header, QStringLiteral("The header of the ID token from %1 is not a JSON object.").arg(provider));
    const QJsonObject header = headerDocument.object();

    // The algorithm comes from the header but must be one we chose beforehand (RFC 8725 §3.1):
    // never "none" in any spelling, never a shared-secret MAC.
    const QJsonValue algValue = header.value(QLatin1String("alg"));
    const QString alg = algValue.toString();
    if (!algValue.isString() || alg.isEmpty())
        return fail(Check::Algorithm, QStringLiteral("The ID token from %1 does not say how it is signed (no 'alg').").arg(provider));
    if (alg.compare(QLatin1String("none"), Qt::CaseInsensitive) == 0)
        return fail(Check::Algorithm, QStringLiteral("The ID token from %1 is not signed (alg 'none'); Signet accepts only signed ID tokens.").arg(provider));
    if (alg.startsWith(QLatin1String("HS"), Qt::CaseInsensitive)) {
        return fail(Check::Algorithm, QStringLiteral("The ID token from %1 is signed with a shared secret (%2), which a desktop client cannot verify. "
                                                     "Ask IT to have the provider sign ID tokens with RS256 or ES256 for this client.")
                                          .arg(provider, alg));
    }
    if (!allowed.contains(alg)) {
        return fail(Check::Algorithm, QStringLiteral("The ID token from %1 is signed with %2, which is not among the algorithms allowed for this provider (%3).")
                                          .arg(provider, alg, allowed.join(QStringLiteral(", "))));
    }

    // A key named or carried by the token itself proves nothing: whoever made the token chose it
    // (RFC 8725 §3.10, RFC 7515 §4.1.2-4.1.6). Keys come only from the provider's jwks_uri.
    for (const char *member : {"jwk", "jku", "x5u", "x5c"}) {
        if (header.contains(QLatin1String(member))) {
            return fail(Check::EmbeddedKey, QStringLiteral("The ID token from %1 brings its own key ('%2' in its header); Signet trusts only the keys the "
                                                           "provider publishes.")
                                                .arg(provider, QLatin1String(member)));
        }
    }
    // RFC 7515 §4.1.11: extensions listed in crit MUST be understood; Signet understands none.
    if (header.contains(QLatin1String("crit"))) {
        return fail(Check::CriticalHeader, QStringLiteral("The ID token from %1 requires header extensions Signet does not understand ('crit').").arg(provider));
    }

    const QJsonValue kidValue = header.value(QLatin1String("kid"));
    if (!kidValue.isUndefined() && !kidValue.isString())
        return fail(Check::Header, QStringLiteral("The header of the ID token from %1 has a 'kid' that is not a string.").arg(provider));
    const QString kid = kidValue.toString();
    const JsonWebKeySet::Lookup lookup = keys.find(kid, alg);
    switch (lookup.result) {
    case JsonWebKeySet::Lookup::Result::Found:
        break;
    case JsonWebKeySet::Lookup::Result::UnknownKeyId:
        if (kid.isEmpty())
            return fail(Check::UnknownKey, QStringLiteral("The ID token from %1 names no key, and the provider publishes none for %2.").arg(provider, alg));
        return fail(Check::UnknownKey, QStringLiteral("The ID token from %1 is signed with key '%2', which is not among the provider's published keys.").arg(provider, kid));
    case JsonWebKeySet::Lookup::Result::Ambiguous:
        return fail(Check::AmbiguousKey, QStringLiteral("The ID token from %1 names no key (no 'kid'), and the provider publishes several keys for %2.").arg(provider, alg));
    case JsonWebKeySet::Lookup::Result::WrongKeyType:
        return fail(Check::KeyType, QStringLiteral("The ID token from %1 says it is signed with %2, but the key it names is an %3, which cannot make such signatures.")
                                        .arg(provider, alg, lookup.key.describe()));
    }

    // The signing input is the token's own text up to the second dot (RFC 7515 §5.2 step 8).
    const QByteArray signingInput = parts.at(0) + '.' + parts.at(1);
    if (!verifySignature(lookup.key, alg, signingInput, signature)) {
        return fail(Check::Signature, QStringLiteral("The signature of the ID token from %1 does not verify with its %2: the token was altered or was "
                                                     "not issued by %1.")
                                          .arg(provider, lookup.key.describe()));
    }

    // Only now is the payload trusted enough to be read.
    const QJsonDocument payloadDocument = QJsonDocument::fromJson(payloadBytes);
    if (!payloadDocument.isObject())
        return fail(Check::Payload, QStringLiteral("The claims of the ID token from %1 are not a JSON object.").arg(provider));
    const QJsonObject claims = payloadDocument.object();

    // §3.1.3.7 item 2: iss exactly equals the issuer (no URL normalisation), or one of the
    // documented alternatives. A "{tenantid}" template (Entra ID multi-tenant, see
    // docs/providers.md) is filled with the token's own tid first, which must be a GUID.
    const QJsonValue iss = claims.value(QLatin1String("iss"));
    bool issuerMatches = false;
    for (const QString &candidate : QStringList{expect.issuer} + expect.alternativeIssuers) {
        QString expected = candidate;
        if (expected.contains(QLatin1String("{tenantid}"))) {
            const QString tid = claims.value(QLatin1String("tid")).toString();
            if (!isGuid(tid))
                continue;
            expected.replace(QLatin1String("{tenantid}"), tid);
        }
        issuerMatches = issuerMatches || (iss.isString() && iss.toString() == expected);
    }
    if (!issuerMatches) {
        return fail(Check::Issuer, QStringLiteral("The ID token was issued by '%1', not by the configured issuer '%2' of %3.")
                                       .arg(iss.toString().left(200), expect.issuer, provider));
    }

    // Item 3: aud contains our client id; RFC 7519 §4.1.3: every other audience must be one we
    // trust, or the token was meant for someone else as well.
    QStringList audiences;
    if (!audiencesOf(claims, &audiences))
        return fail(Check::Audience, QStringLiteral("The ID token from %1 has no valid audience ('aud').").arg(provider));
    if (!audiences.contains(expect.clientId)) {
        return fail(Check::Audience, QStringLiteral("The ID token from %1 is not meant for this client: its audience does not include the client id '%2'.")
                                         .arg(provider, expect.clientId));
    }
    for (const QString &audience : std::as_const(audiences)) {
        if (audience != expect.clientId && !expect.trustedAudiences.contains(audience)) {
            return fail(Check::UntrustedAudience, QStringLiteral("The ID token from %1 is also meant for '%2', an audience Signet is not configured to trust.")
                                                      .arg(provider, audience));
        }
    }
    // Items 4-5: with several audiences azp is required; when present it is our client id.
    const QJsonValue azp = claims.value(QLatin1String("azp"));
    if (!azp.isUndefined() && azp.toString() != expect.clientId) {
        return fail(Check::AuthorizedParty, QStringLiteral("The ID token from %1 was issued to another client (authorized party '%2').")
                                                .arg(provider, azp.toString()));
    }
    if (azp.isUndefined() && audiences.size() > 1) {
        return fail(Check::AuthorizedParty, QStringLiteral("The ID token from %1 has several audiences but does not say which client it was issued to ('azp').")
                                                .arg(provider));
    }

    // Items 9-10 and RFC 7519 §4.1.4-4.1.6, each with the allowed clock skew.
    const QDateTime now = expect.now.isValid() ? expect.now : QDateTime::currentDateTimeUtc();
    const double nowSeconds = double(now.toSecsSinceEpoch());
    const double skew = double(expect.clockSkew.count());
    const QString clockHint = QStringLiteral("If this repeats, check that this computer's date and time are correct.");
    const QJsonValue exp = claims.value(QLatin1String("exp"));
    if (!exp.isDouble())
        return fail(Check::Expiry, QStringLiteral("The ID token from %1 has no valid expiry time ('exp').").arg(provider));
    if (!(nowSeconds < exp.toDouble() + skew))
        return fail(Check::Expiry, QStringLiteral("The ID token from %1 expired at %2 UTC. %3").arg(provider, utcText(exp.toDouble()), clockHint));
    const QJsonValue iat = claims.value(QLatin1String("iat"));
    if (!iat.isDouble())
        return fail(Check::IssuedAt, QStringLiteral("The ID token from %1 has no valid issue time ('iat').").arg(provider));
    if (!(iat.toDouble() <= nowSeconds + skew))
        return fail(Check::IssuedAt, QStringLiteral("The ID token from %1 claims to be issued in the future (%2 UTC). %3").arg(provider, utcText(iat.toDouble()), clockHint));
    const QJsonValue nbf = claims.value(QLatin1String("nbf"));
    if (!nbf.isUndefined() && !nbf.isDouble())
        return fail(Check::NotBefore, QStringLiteral("The ID token from %1 has an invalid start of validity ('nbf').").arg(provider));
    if (nbf.isDouble() && !(nowSeconds >= nbf.toDouble() - skew))
        return fail(Check::NotBefore, QStringLiteral("The ID token from %1 is not valid before %2 UTC. %3").arg(provider, utcText(nbf.toDouble()), clockHint));

    // §2: sub is REQUIRED, a non-empty string; it is the identity.
    const QJsonValue sub = claims.value(QLatin1String("sub"));
    if (!sub.isString() || sub.toString().isEmpty())
        return fail(Check::Subject, QStringLiteral("The ID token from %1 does not say who signed in (no 'sub').").arg(provider));

    // Item 11: the nonce binds the token to this sign-in (replay). Its value is never shown.
    if (!expect.nonce.isEmpty()) {
        const QJsonValue nonce = claims.value(QLatin1String("nonce"));
        if (!nonce.isString() || nonce.toString() != expect.nonce) {
            return fail(Check::Nonce, QStringLiteral("The ID token from %1 does not belong to this sign-in (%2 nonce). Start the sign-in again.")
                                          .arg(provider, nonce.isUndefined() ? QStringLiteral("no") : QStringLiteral("wrong")));
        }
    }

    IdTokenResult result;
    result.claims = claims;
    return result;
}

IdTokenError IdTokenValidator::checkRefreshedIdToken(const QJsonObject &original, const QJsonObject &refreshed)
{
    // OpenID Connect Core §12.2: a refresh must not change who, for whom, or by whom.
    const QString signInAgain = QStringLiteral("Sign in again.");
    auto same = [&](const char *claim) { return original.value(QLatin1String(claim)) == refreshed.value(QLatin1String(claim)); };
    if (!same("iss"))
        return {Check::Issuer, QStringLiteral("The refreshed ID token comes from another issuer than the sign-in's. %1").arg(signInAgain)};
    if (!same("sub") || refreshed.value(QLatin1String("sub")).toString().isEmpty())
        return {Check::Subject, QStringLiteral("The refreshed ID token names another person than the one who signed in. %1").arg(signInAgain)};
    QStringList before, after;
    if (!audiencesOf(original, &before) || !audiencesOf(refreshed, &after) || QSet<QString>(before.cbegin(), before.cend()) != QSet<QString>(after.cbegin(), after.cend()))
        return {Check::Audience, QStringLiteral("The refreshed ID token is meant for other audiences than the sign-in's. %1").arg(signInAgain)};
    // Same azp, and none if the original had none.
    if (!same("azp"))
        return {Check::AuthorizedParty, QStringLiteral("The refreshed ID token was issued to another client than the sign-in's. %1").arg(signInAgain)};
    // auth_time, if present, is still the time of the original authentication.
    const QJsonValue authTime = refreshed.value(QLatin1String("auth_time"));
    if (!authTime.isUndefined() && original.contains(QLatin1String("auth_time")) && !same("auth_time"))
        return {Check::AuthTime, QStringLiteral("The refreshed ID token reports another authentication time than the sign-in's. %1").arg(signInAgain)};
    return {};
}

} // namespace Signet
