// ID-token validation (OpenID Connect Core §3.1.3.7, RFC 8725) with keys generated at run time:
// one row per rule, the good paths for every algorithm Signet supports, and the classic attacks
// (alg none, HMAC keyed with the public key, keys carried in the header, key-type confusion).
// No private key is ever written to disk or committed.

#include "auth/idtoken.h"
#include "auth/jwks.h"
#include "testkeys.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>

using namespace Signet;
using Check = IdTokenError::Check;

Q_DECLARE_METATYPE(IdTokenError::Check)

using namespace TestKeys;

namespace {

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// Applies a row's changes: a member set to null is removed, any other value replaces.
QJsonObject merged(QJsonObject base, const QJsonObject &changes)
{
    for (auto it = changes.constBegin(); it != changes.constEnd(); ++it) {
        if (it.value().isNull())
            base.remove(it.key());
        else
            base.insert(it.key(), it.value());
    }
    return base;
}

// What is done to a correctly made token before it is validated.
enum class Tamper {
    None,
    Payload,            // payload swapped after signing
    Unsigned,           // "header.payload." with no signature
    HmacPublicKey,      // HMAC-SHA256 keyed with the RSA public key's PEM
    DerSignature,       // ECDSA left in DER instead of R || S
    SignedAsRs256,      // PKCS#1 v1.5 signature whatever the header says
    TruncatedSignature, // last byte dropped
    PaddedSignature,    // base64 '=' padding added
    NonCanonicalBase64, // unused bits set in the signature's last character
    StandardBase64,     // '+' and '/' instead of '-' and '_'
    TwoParts,
    FourParts,
    NotBase64,
    Empty,
    HeaderNotJson,
    PayloadNotJson, // signed, but not a JSON object
    Oversized,
};

const QDateTime Now = QDateTime(QDate(2030, 1, 15), QTime(12, 0), Qt::UTC);
const qint64 NowSecs = Now.toSecsSinceEpoch();
const QString Issuer = QStringLiteral("https://idp.example/realms/staff");
const QString ClientId = QStringLiteral("signet-desktop");
const QString Nonce = QStringLiteral("n-0S6_WzA2Mj-secret");

} // namespace

class TestIdToken : public QObject
{
    Q_OBJECT

    QMap<QString, TestKey> m_keys; // signer name -> key
    JsonWebKeySet m_set;

    QJsonObject goodClaims() const
    {
        return {{QStringLiteral("iss"), Issuer},       {QStringLiteral("aud"), ClientId},          {QStringLiteral("sub"), QStringLiteral("248289761001")},
                {QStringLiteral("exp"), NowSecs + 300}, {QStringLiteral("iat"), NowSecs - 10},      {QStringLiteral("nonce"), Nonce},
                {QStringLiteral("email"), QStringLiteral("ann@corp.example")}};
    }

    IdTokenExpectations expectations() const
    {
        IdTokenExpectations expect;
        expect.issuer = Issuer;
        expect.clientId = ClientId;
        expect.nonce = Nonce;
        expect.allowedAlgorithms = supportedJwsAlgorithms();
        expect.now = Now;
        expect.providerName = QStringLiteral("Staff IdP");
        return expect;
    }

    QByteArray makeToken(const QString &signer, const QString &alg, const QJsonObject &header, const QJsonObject &claims, Tamper tamper = Tamper::None) const
    {
        const TestKey key = m_keys.value(signer);
        const QJsonObject fullHeader = merged({{QStringLiteral("alg"), alg}, {QStringLiteral("kid"), key.kid}, {QStringLiteral("typ"), QStringLiteral("JWT")}}, header);
        QByteArray headerPart = b64(compact(fullHeader));
        QByteArray payloadPart = b64(compact(claims));
        if (tamper == Tamper::HeaderNotJson)
            headerPart = b64("{\"alg\":\"RS256\",");
        if (tamper == Tamper::PayloadNotJson)
            payloadPart = b64("[\"not\",\"an\",\"object\"]");
        const QByteArray input = headerPart + '.' + payloadPart;
        QByteArray signature;
        if (tamper == Tamper::HmacPublicKey) {
            const QByteArray secret = key.publicPem();
            unsigned char mac[EVP_MAX_MD_SIZE];
            size_t length = 0;
            EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.constData(), size_t(secret.size()), reinterpret_cast<const unsigned char *>(input.constData()),
                      size_t(input.size()), mac, sizeof mac, &length);
            signature = QByteArray(reinterpret_cast<const char *>(mac), int(length));
        } else if (tamper == Tamper::SignedAsRs256) {
            signature = key.sign(QStringLiteral("RS256"), input);
        } else if (tamper != Tamper::Unsigned) {
            signature = key.sign(alg, input, tamper == Tamper::DerSignature);
        }
        if (tamper == Tamper::TruncatedSignature)
            signature.chop(1);
        QByteArray signaturePart = b64(signature);

        switch (tamper) {
        case Tamper::Payload: {
            QJsonObject changed = claims;
            changed.insert(QStringLiteral("sub"), QStringLiteral("admin"));
            return headerPart + '.' + b64(compact(changed)) + '.' + signaturePart;
        }
        case Tamper::PaddedSignature:
            return input + '.' + signature.toBase64(QByteArray::Base64UrlEncoding);
        case Tamper::NonCanonicalBase64: {
            // 256 bytes encode to 342 characters; the last carries 2 bits and 4 zero bits.
            static const QByteArray alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
            const qsizetype index = alphabet.indexOf(signaturePart.back());
            signaturePart.back() = alphabet.at(index ^ 1);
            return input + '.' + signaturePart;
        }
        case Tamper::StandardBase64:
            return input + '.' + signature.toBase64(QByteArray::OmitTrailingEquals);
        case Tamper::TwoParts:
            return input;
        case Tamper::FourParts:
            return input + '.' + signaturePart + '.' + signaturePart;
        case Tamper::NotBase64:
            return headerPart + "*." + payloadPart + '.' + signaturePart;
        case Tamper::Empty:
            return {};
        case Tamper::Oversized:
            return input + '.' + signaturePart + QByteArray(IdTokenValidator::MaxTokenBytes, 'A');
        default:
            return input + '.' + signaturePart;
        }
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_keys.insert(QStringLiteral("rsa"), TestKey::rsa(QStringLiteral("rsa-2030-01")));
        m_keys.insert(QStringLiteral("rsa-b"), TestKey::rsa(QStringLiteral("rsa-2030-02")));
        m_keys.insert(QStringLiteral("ec256"), TestKey::ec(QStringLiteral("ec-p256"), "P-256"));
        m_keys.insert(QStringLiteral("ec384"), TestKey::ec(QStringLiteral("ec-p384"), "P-384"));
        // Not in the provider's set: signs with a kid nobody published.
        m_keys.insert(QStringLiteral("stranger"), TestKey::rsa(QStringLiteral("rsa-unknown")));
        // Signs under rsa's kid with another key.
        TestKey impostor = TestKey::rsa(QStringLiteral("rsa-2030-01"));
        m_keys.insert(QStringLiteral("impostor"), impostor);
        for (const TestKey &key : std::as_const(m_keys))
            QVERIFY(key.pkey);

        QJsonArray published;
        for (const char *name : {"rsa", "rsa-b", "ec256", "ec384"})
            published << m_keys[QLatin1String(name)].jwk();
        JwksError error;
        m_set = JsonWebKeySet::fromJson({{QStringLiteral("keys"), published}}, &error);
        QVERIFY2(!error.isError(), qPrintable(error.message));
        QCOMPARE(m_set.keys().size(), 4);
    }

    void validate_data()
    {
        QTest::addColumn<QString>("signer");
        QTest::addColumn<QString>("alg");
        QTest::addColumn<QJsonObject>("header");    // changes to {alg, kid, typ}; null removes
        QTest::addColumn<QJsonObject>("claims");    // changes to goodClaims(); null removes
        QTest::addColumn<int>("tamper");
        QTest::addColumn<QStringList>("allowed");   // empty: every algorithm Signet supports
        QTest::addColumn<QStringList>("trusted");
        QTest::addColumn<IdTokenError::Check>("check");

        const QString rsa = QStringLiteral("rsa"), ec256 = QStringLiteral("ec256"), ec384 = QStringLiteral("ec384");
        const QString RS256 = QStringLiteral("RS256"), ES256 = QStringLiteral("ES256");
        auto row = [](const char *name, const QString &signer, const QString &alg, const QJsonObject &header, const QJsonObject &claims, Tamper tamper, Check check,
                      const QStringList &trusted = {}, const QStringList &allowed = {}) {
            QTest::newRow(name) << signer << alg << header << claims << int(tamper) << allowed << trusted << check;
        };
        auto claim = [](const char *name, const QJsonValue &value) { return QJsonObject{{QLatin1String(name), value}}; };
        const QJsonValue removed = QJsonValue::Null;
        const auto T = Tamper::None;

        // Good paths, one per algorithm.
        for (const char *alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
            row(qPrintable(QStringLiteral("good %1").arg(QLatin1String(alg))), rsa, QLatin1String(alg), {}, {}, T, Check::None);
        row("good ES256", ec256, ES256, {}, {}, T, Check::None);
        row("good ES384", ec384, QStringLiteral("ES384"), {}, {}, T, Check::None);
        row("good without kid, one fitting key", ec256, ES256, claim("kid", removed), {}, T, Check::None);
        row("good without typ", rsa, RS256, claim("typ", removed), {}, T, Check::None);

        // Format (RFC 7515 §7.1).
        row("empty", rsa, RS256, {}, {}, Tamper::Empty, Check::Format);
        row("two parts", rsa, RS256, {}, {}, Tamper::TwoParts, Check::Format);
        row("four parts", rsa, RS256, {}, {}, Tamper::FourParts, Check::Format);
        row("not base64", rsa, RS256, {}, {}, Tamper::NotBase64, Check::Format);
        row("padded base64", rsa, RS256, {}, {}, Tamper::PaddedSignature, Check::Format);
        row("non-canonical base64", rsa, RS256, {}, {}, Tamper::NonCanonicalBase64, Check::Format);
        row("standard base64 alphabet", rsa, RS256, {}, {}, Tamper::StandardBase64, Check::Format);
        row("oversized", rsa, RS256, {}, {}, Tamper::Oversized, Check::Format);
        row("header not json", rsa, RS256, {}, {}, Tamper::HeaderNotJson, Check::Header);
        row("kid not a string", rsa, RS256, claim("kid", 7), {}, T, Check::Header);

        // Algorithm (RFC 8725 §3.1-3.2).
        row("alg none", rsa, QStringLiteral("none"), {}, {}, Tamper::Unsigned, Check::Algorithm);
        row("alg None", rsa, QStringLiteral("None"), {}, {}, Tamper::Unsigned, Check::Algorithm);
        row("alg HS256 keyed with the public key", rsa, QStringLiteral("HS256"), {}, {}, Tamper::HmacPublicKey, Check::Algorithm);
        row("alg missing", rsa, RS256, claim("alg", removed), {}, T, Check::Algorithm);
        row("alg not a string", rsa, RS256, claim("alg", 256), {}, T, Check::Algorithm);
        row("alg ES512 unsupported", ec256, QStringLiteral("ES512"), {}, {}, T, Check::Algorithm);
        row("alg EdDSA unsupported", ec256, QStringLiteral("EdDSA"), {}, {}, T, Check::Algorithm);
        row("alg not advertised by provider", ec256, ES256, {}, {}, T, Check::Algorithm, {}, {RS256});
        row("alg rs256 lower case", rsa, QStringLiteral("rs256"), {}, {}, T, Check::Algorithm);

        // Keys come from the JWKS only (RFC 8725 §3.10) and no unknown extensions (RFC 7515 §4.1.11).
        row("jwk in header", rsa, RS256, claim("jwk", m_keys[rsa].jwk()), {}, T, Check::EmbeddedKey);
        row("jku in header", rsa, RS256, claim("jku", QStringLiteral("https://evil.example/jwks")), {}, T, Check::EmbeddedKey);
        row("x5u in header", rsa, RS256, claim("x5u", QStringLiteral("https://evil.example/cert.pem")), {}, T, Check::EmbeddedKey);
        row("x5c in header", rsa, RS256, claim("x5c", QJsonArray{QStringLiteral("MIIB")}), {}, T, Check::EmbeddedKey);
        row("crit in header", rsa, RS256, claim("crit", QJsonArray{QStringLiteral("exp")}), {}, T, Check::CriticalHeader);

        // Key selection.
        row("unknown kid", QStringLiteral("stranger"), RS256, {}, {}, T, Check::UnknownKey);
        row("no kid, several RSA keys", rsa, RS256, claim("kid", removed), {}, T, Check::AmbiguousKey);
        row("EC kid with RS256", rsa, RS256, claim("kid", m_keys[ec256].kid), {}, T, Check::KeyType);
        row("RSA kid with ES256", ec256, ES256, claim("kid", m_keys[rsa].kid), {}, T, Check::KeyType);
        row("P-384 kid with ES256", ec256, ES256, claim("kid", m_keys[ec384].kid), {}, T, Check::KeyType);

        // Signature.
        row("tampered payload", rsa, RS256, {}, {}, Tamper::Payload, Check::Signature);
        row("tampered ES256 payload", ec256, ES256, {}, {}, Tamper::Payload, Check::Signature);
        row("another key under a published kid", QStringLiteral("impostor"), RS256, {}, {}, T, Check::Signature);
        row("PS256 header over an RS256 signature", rsa, QStringLiteral("PS256"), {}, {}, Tamper::SignedAsRs256, Check::Signature);
        row("truncated RSA signature", rsa, RS256, {}, {}, Tamper::TruncatedSignature, Check::Signature);
        row("ES256 signature in DER", ec256, ES256, {}, {}, Tamper::DerSignature, Check::Signature);
        row("payload not a JSON object", rsa, RS256, {}, {}, Tamper::PayloadNotJson, Check::Payload);

        // iss (§3.1.3.7 item 2).
        row("iss other", rsa, RS256, {}, claim("iss", QStringLiteral("https://evil.example")), T, Check::Issuer);
        row("iss trailing slash", rsa, RS256, {}, claim("iss", Issuer + QLatin1Char('/')), T, Check::Issuer);
        row("iss other case", rsa, RS256, {}, claim("iss", Issuer.toUpper()), T, Check::Issuer);
        row("iss missing", rsa, RS256, {}, claim("iss", removed), T, Check::Issuer);

        // aud and azp (items 3-5).
        row("aud array with only the client id", rsa, RS256, {}, claim("aud", QJsonArray{ClientId}), T, Check::None);
        row("aud other client", rsa, RS256, {}, claim("aud", QStringLiteral("other-app")), T, Check::Audience);
        row("aud missing", rsa, RS256, {}, claim("aud", removed), T, Check::Audience);
        row("aud number", rsa, RS256, {}, claim("aud", 42), T, Check::Audience);
        row("aud array with a number", rsa, RS256, {}, claim("aud", QJsonArray{ClientId, 42}), T, Check::Audience);
        row("aud empty array", rsa, RS256, {}, claim("aud", QJsonArray{}), T, Check::Audience);
        const QJsonObject twoAudiences{{QStringLiteral("aud"), QJsonArray{ClientId, QStringLiteral("https://api.corp.example")}}, {QStringLiteral("azp"), ClientId}};
        row("aud with untrusted extra", rsa, RS256, {}, twoAudiences, T, Check::UntrustedAudience);
        row("aud with trusted extra", rsa, RS256, {}, twoAudiences, T, Check::None, {QStringLiteral("https://api.corp.example")});
        row("aud with trusted extra, no azp", rsa, RS256, {}, merged(twoAudiences, claim("azp", removed)), T, Check::AuthorizedParty,
            {QStringLiteral("https://api.corp.example")});
        row("azp equals client id", rsa, RS256, {}, claim("azp", ClientId), T, Check::None);
        row("azp other client", rsa, RS256, {}, claim("azp", QStringLiteral("other-app")), T, Check::AuthorizedParty);
        row("azp not a string", rsa, RS256, {}, claim("azp", true), T, Check::AuthorizedParty);

        // exp, iat, nbf (items 9-10, RFC 7519 §4.1.4-4.1.6), 120 s skew.
        row("exp 60 s ago, within skew", rsa, RS256, {}, claim("exp", NowSecs - 60), T, Check::None);
        row("exp 119 s ago, within skew", rsa, RS256, {}, claim("exp", NowSecs - 119), T, Check::None);
        row("exp 120 s ago, at skew", rsa, RS256, {}, claim("exp", NowSecs - 120), T, Check::Expiry);
        row("exp 1 h ago", rsa, RS256, {}, claim("exp", NowSecs - 3600), T, Check::Expiry);
        row("exp fractional", rsa, RS256, {}, claim("exp", double(NowSecs) + 30.5), T, Check::None);
        row("exp missing", rsa, RS256, {}, claim("exp", removed), T, Check::Expiry);
        row("exp string", rsa, RS256, {}, claim("exp", QString::number(NowSecs + 300)), T, Check::Expiry);
        row("iat 60 s ahead, within skew", rsa, RS256, {}, claim("iat", NowSecs + 60), T, Check::None);
        row("iat 10 min ahead", rsa, RS256, {}, claim("iat", NowSecs + 600), T, Check::IssuedAt);
        row("iat missing", rsa, RS256, {}, claim("iat", removed), T, Check::IssuedAt);
        row("iat string", rsa, RS256, {}, claim("iat", QStringLiteral("yesterday")), T, Check::IssuedAt);
        row("nbf past", rsa, RS256, {}, claim("nbf", NowSecs - 10), T, Check::None);
        row("nbf 60 s ahead, within skew", rsa, RS256, {}, claim("nbf", NowSecs + 60), T, Check::None);
        row("nbf 10 min ahead", rsa, RS256, {}, claim("nbf", NowSecs + 600), T, Check::NotBefore);
        row("nbf string", rsa, RS256, {}, claim("nbf", QStringLiteral("now")), T, Check::NotBefore);

        // sub (§2) and nonce (item 11).
        row("sub missing", rsa, RS256, {}, claim("sub", removed), T, Check::Subject);
        row("sub empty", rsa, RS256, {}, claim("sub", QString()), T, Check::Subject);
        row("sub number", rsa, RS256, {}, claim("sub", 248289761001.0), T, Check::Subject);
        row("nonce wrong", rsa, RS256, {}, claim("nonce", QStringLiteral("n-other")), T, Check::Nonce);
        row("nonce missing", rsa, RS256, {}, claim("nonce", removed), T, Check::Nonce);
        row("nonce number", rsa, RS256, {}, claim("nonce", 1), T, Check::Nonce);
    }

    void validate()
    {
        QFETCH(QString, signer);
        QFETCH(QString, alg);
        QFETCH(QJsonObject, header);
        QFETCH(QJsonObject, claims);
        QFETCH(int, tamper);
        QFETCH(QStringList, allowed);
        QFETCH(QStringList, trusted);
        QFETCH(IdTokenError::Check, check);

        const QJsonObject fullClaims = merged(goodClaims(), claims);
        const QByteArray token = makeToken(signer, alg, header, fullClaims, Tamper(tamper));
        IdTokenExpectations expect = expectations();
        if (!allowed.isEmpty())
            expect.allowedAlgorithms = allowed;
        expect.trustedAudiences = trusted;

        const IdTokenResult result = IdTokenValidator::validate(token, m_set, expect);
        QVERIFY2(result.error.check == check, qPrintable(QStringLiteral("%1 instead of %2: %3")
                                                            .arg(IdTokenError::checkName(result.error.check), IdTokenError::checkName(check), result.error.message)));
        if (check == Check::None) {
            QVERIFY(result.isValid());
            QCOMPARE(result.claims, fullClaims);
            QVERIFY(result.error.message.isEmpty());
            return;
        }
        QVERIFY(!result.isValid());
        QVERIFY(result.claims.isEmpty());
        // The message is for a person: it names the provider, never the token, a part of it or the nonce.
        const QString message = result.error.message;
        QVERIFY2(message.contains(QStringLiteral("Staff IdP")), qPrintable(message));
        QVERIFY(!message.contains(Nonce));
        for (const QByteArray &part : token.split('.')) {
            if (part.size() > 8)
                QVERIFY2(!message.contains(QString::fromLatin1(part)), qPrintable(message));
        }
    }

    // An ID token that passes all rules for one provider must not pass for another.
    void keysOfAnotherProviderDoNotVerify()
    {
        const QByteArray token = makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {}, goodClaims());
        const JsonWebKeySet other = JsonWebKeySet::fromJson({{QStringLiteral("keys"), QJsonArray{TestKey::rsa(QStringLiteral("rsa-2030-01")).jwk()}}});
        QCOMPARE(IdTokenValidator::validate(token, other, expectations()).error.check, Check::Signature);
        QCOMPARE(IdTokenValidator::validate(token, JsonWebKeySet(), expectations()).error.check, Check::UnknownKey);
    }

    // A JWKS with keys Signet cannot use still verifies with the one it can.
    void unusableKeysAreSkipped()
    {
        QJsonObject shortRsa = TestKey::rsa(QStringLiteral("short"), 1024).jwk();
        QJsonObject otherCurve = m_keys[QStringLiteral("ec256")].jwk();
        otherCurve.insert(QStringLiteral("crv"), QStringLiteral("secp256k1"));
        otherCurve.insert(QStringLiteral("kid"), QStringLiteral("k1"));
        const QJsonObject oct{{QStringLiteral("kty"), QStringLiteral("oct")}, {QStringLiteral("kid"), QStringLiteral("hmac")}, {QStringLiteral("k"), QStringLiteral("c2VjcmV0")}};
        const QJsonArray published{oct, shortRsa, otherCurve, m_keys[QStringLiteral("rsa")].jwk()};

        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #0 \\(kid 'hmac'\\): .*shared-secret")));
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #1 \\(kid 'short'\\): .*1024 bits")));
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #2 \\(kid 'k1'\\): .*secp256k1")));
        JwksError error;
        const JsonWebKeySet set = JsonWebKeySet::fromJson({{QStringLiteral("keys"), published}}, &error);
        QVERIFY(!error.isError());
        QCOMPARE(set.keys().size(), 1);
        QCOMPARE(set.skipped().size(), 3);

        const QByteArray token = makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {}, goodClaims());
        const IdTokenResult result = IdTokenValidator::validate(token, set, expectations());
        QVERIFY2(result.isValid(), qPrintable(result.error.message));
        // Without kid, the one usable RSA key is chosen; the skipped ones never count.
        const QByteArray noKid = makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {{QStringLiteral("kid"), QJsonValue::Null}}, goodClaims());
        QVERIFY(IdTokenValidator::validate(noKid, set, expectations()).isValid());
    }

    void clockSkewIsConfigurable()
    {
        QJsonObject claims = goodClaims();
        claims.insert(QStringLiteral("exp"), NowSecs - 60);
        const QByteArray token = makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {}, claims);
        IdTokenExpectations expect = expectations();
        QVERIFY(IdTokenValidator::validate(token, m_set, expect).isValid());
        expect.clockSkew = std::chrono::seconds(30);
        QCOMPARE(IdTokenValidator::validate(token, m_set, expect).error.check, Check::Expiry);
        QCOMPARE(IdTokenExpectations::DefaultClockSkew, std::chrono::seconds(120));
    }

    void nonceNotCheckedWhenNoneExpected()
    {
        QJsonObject claims = goodClaims();
        claims.remove(QStringLiteral("nonce"));
        IdTokenExpectations expect = expectations();
        expect.nonce.clear();
        QVERIFY(IdTokenValidator::validate(makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {}, claims), m_set, expect).isValid());
    }

    void missingExpectations_data()
    {
        QTest::addColumn<QString>("field");
        QTest::newRow("issuer") << QStringLiteral("issuer");
        QTest::newRow("client id") << QStringLiteral("clientId");
        QTest::newRow("no algorithms") << QStringLiteral("allowed");
        QTest::newRow("only unsupported algorithms") << QStringLiteral("unsupported");
    }

    void missingExpectations()
    {
        QFETCH(QString, field);
        IdTokenExpectations expect = expectations();
        if (field == QLatin1String("issuer"))
            expect.issuer.clear();
        else if (field == QLatin1String("clientId"))
            expect.clientId.clear();
        else if (field == QLatin1String("allowed"))
            expect.allowedAlgorithms.clear();
        else
            expect.allowedAlgorithms = {QStringLiteral("HS256"), QStringLiteral("none")};
        const QByteArray token = makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {}, goodClaims());
        QCOMPARE(IdTokenValidator::validate(token, m_set, expect).error.check, Check::Expectations);
    }

    void allowedAlgorithms_data()
    {
        QTest::addColumn<QStringList>("advertised");
        QTest::addColumn<QStringList>("allowed");
        QTest::newRow("nothing advertised: RS256") << QStringList() << QStringList{QStringLiteral("RS256")};
        QTest::newRow("intersection in Signet's order")
            << QStringList{QStringLiteral("ES256"), QStringLiteral("HS256"), QStringLiteral("RS256"), QStringLiteral("none")}
            << QStringList{QStringLiteral("RS256"), QStringLiteral("ES256")};
        QTest::newRow("only HS256 and none") << QStringList{QStringLiteral("HS256"), QStringLiteral("none")} << QStringList();
        QTest::newRow("everything") << QStringList{QStringLiteral("RS256"), QStringLiteral("RS384"), QStringLiteral("RS512"), QStringLiteral("PS256"),
                                                   QStringLiteral("PS384"), QStringLiteral("PS512"), QStringLiteral("ES256"), QStringLiteral("ES384"),
                                                   QStringLiteral("ES512"), QStringLiteral("EdDSA")}
                                    << supportedJwsAlgorithms();
    }

    void allowedAlgorithms()
    {
        QFETCH(QStringList, advertised);
        QFETCH(QStringList, allowed);
        QCOMPARE(IdTokenValidator::allowedAlgorithms(advertised), allowed);
    }

    void refreshedIdToken_data()
    {
        QTest::addColumn<QJsonObject>("changes"); // to the refreshed token's claims; null removes
        QTest::addColumn<IdTokenError::Check>("check");
        const QJsonValue removed = QJsonValue::Null;
        QTest::newRow("same identity, new iat and exp") << QJsonObject{{QStringLiteral("iat"), NowSecs + 3000}, {QStringLiteral("exp"), NowSecs + 3600}} << Check::None;
        QTest::newRow("no nonce in the refreshed token") << QJsonObject{{QStringLiteral("nonce"), removed}} << Check::None;
        QTest::newRow("aud as a one-element array") << QJsonObject{{QStringLiteral("aud"), QJsonArray{ClientId}}} << Check::None;
        QTest::newRow("auth_time dropped") << QJsonObject{{QStringLiteral("auth_time"), removed}} << Check::None;
        QTest::newRow("other issuer") << QJsonObject{{QStringLiteral("iss"), QStringLiteral("https://evil.example")}} << Check::Issuer;
        QTest::newRow("other subject") << QJsonObject{{QStringLiteral("sub"), QStringLiteral("someone-else")}} << Check::Subject;
        QTest::newRow("subject missing") << QJsonObject{{QStringLiteral("sub"), removed}} << Check::Subject;
        QTest::newRow("extra audience") << QJsonObject{{QStringLiteral("aud"), QJsonArray{ClientId, QStringLiteral("other")}}} << Check::Audience;
        QTest::newRow("other audience") << QJsonObject{{QStringLiteral("aud"), QStringLiteral("other")}} << Check::Audience;
        QTest::newRow("azp added") << QJsonObject{{QStringLiteral("azp"), ClientId}} << Check::AuthorizedParty;
        QTest::newRow("auth_time changed") << QJsonObject{{QStringLiteral("auth_time"), NowSecs + 3000}} << Check::AuthTime;
    }

    void refreshedIdToken()
    {
        QFETCH(QJsonObject, changes);
        QFETCH(IdTokenError::Check, check);
        QJsonObject original = goodClaims();
        original.insert(QStringLiteral("auth_time"), NowSecs - 20);
        const IdTokenError error = IdTokenValidator::checkRefreshedIdToken(original, merged(original, changes));
        QCOMPARE(error.check, check);
        QCOMPARE(error.message.isEmpty(), check == Check::None);
    }

    void everyCheckHasAName()
    {
        QSet<QString> names;
        for (int i = int(Check::None); i <= int(Check::AuthTime); ++i)
            names.insert(IdTokenError::checkName(Check(i)));
        QCOMPARE(names.size(), int(Check::AuthTime) + 1);
        QVERIFY(!names.contains(QStringLiteral("unknown")));
    }

    void decodeBase64Url_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("empty") << QByteArray() << true << QByteArray();
        QTest::newRow("one byte") << QByteArray("_w") << true << QByteArray("\xff");
        QTest::newRow("two bytes") << QByteArray("-_8") << true << QByteArray("\xfb\xff");
        QTest::newRow("three bytes") << QByteArray("AQID") << true << QByteArray("\x01\x02\x03");
        QTest::newRow("padding") << QByteArray("_w==") << false << QByteArray();
        QTest::newRow("standard alphabet") << QByteArray("+/8") << false << QByteArray();
        QTest::newRow("stray bits") << QByteArray("_x") << false << QByteArray();
        QTest::newRow("impossible length") << QByteArray("AQIDB") << false << QByteArray();
        QTest::newRow("whitespace") << QByteArray("AQ ID") << false << QByteArray();
        QTest::newRow("dot") << QByteArray("AQ.D") << false << QByteArray();
    }

    void decodeBase64Url()
    {
        QFETCH(QByteArray, text);
        QFETCH(bool, ok);
        QFETCH(QByteArray, bytes);
        QByteArray out("untouched");
        QCOMPARE(Signet::decodeBase64Url(text, &out), ok);
        QCOMPARE(out, ok ? bytes : QByteArray("untouched"));
    }

    // OpenSSL's error queue is shared with Qt's TLS backend: a failed verification leaves it empty.
    void openSslErrorQueueLeftEmpty()
    {
        ERR_clear_error();
        QByteArray token = makeToken(QStringLiteral("rsa"), QStringLiteral("RS256"), {}, goodClaims(), Tamper::Payload);
        QCOMPARE(IdTokenValidator::validate(token, m_set, expectations()).error.check, Check::Signature);
        token = makeToken(QStringLiteral("ec256"), QStringLiteral("ES256"), {}, goodClaims(), Tamper::Payload);
        QCOMPARE(IdTokenValidator::validate(token, m_set, expectations()).error.check, Check::Signature);
        QCOMPARE(ERR_peek_error(), 0ul);
    }
};

QTEST_GUILESS_MAIN(TestIdToken)
#include "tst_idtoken.moc"
