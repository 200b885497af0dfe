// JWK import (RFC 7517, RFC 7518 §6), key lookup, and JwksCache against an in-process provider:
// fetch, failures, the rate-limited refetch for an unknown kid, and key rotation end to end.
// Keys are generated at run time; no private key is ever written down.

#include "auth/idtoken.h"
#include "auth/jwks.h"
#include "testkeys.h"
#include "net/boundednetworkaccessmanager.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <memory>

using namespace Signet;
using TestKeys::TestKey;
using namespace std::chrono_literals;

Q_DECLARE_METATYPE(JwksError::Code)
Q_DECLARE_METATYPE(JsonWebKeySet::Lookup::Result)

namespace {

QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}

QJsonObject keySet(const QJsonArray &keys)
{
    return {{QStringLiteral("keys"), keys}};
}

// Serves one JWKS path with a fixed answer and counts requests. A path without an answer hangs.
class FakeJwksServer : public QObject
{
public:
    QMap<QByteArray, QPair<int, QByteArray>> answers; // path -> (status, body)
    QList<QMap<QByteArray, QByteArray>> requests;     // headers of each request, in order

    FakeJwksServer()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
            }
        });
    }
    QUrl url(const QByteArray &path = "/jwks") const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(QString::fromLatin1(path)));
    }
    void serve(const QJsonObject &document, const QByteArray &path = "/jwks")
    {
        answers[path] = {200, QJsonDocument(document).toJson(QJsonDocument::Compact)};
    }

private:
    void onData(QTcpSocket *socket)
    {
        const QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
        socket->setProperty("buffer", buffer);
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        QMap<QByteArray, QByteArray> headers;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            headers.insert(lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
        }
        requests << headers;
        const QByteArray path = lines.first().split(' ').value(1);
        if (!answers.contains(path))
            return; // hang: the manager's deadline must end it
        const auto [status, body] = answers.value(path);
        socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
};

} // namespace

class TestJwks : public QObject
{
    Q_OBJECT

    TestKey m_rsa, m_rsaB, m_rsaX, m_stranger, m_ec256, m_ec384, m_rsaShort;

    QJsonObject claims() const
    {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        return {{QStringLiteral("iss"), QStringLiteral("https://idp.example")}, {QStringLiteral("aud"), QStringLiteral("client-1")},
                {QStringLiteral("sub"), QStringLiteral("u-1")},                 {QStringLiteral("exp"), now + 300},
                {QStringLiteral("iat"), now}};
    }
    static IdTokenExpectations expectations()
    {
        IdTokenExpectations expect;
        expect.issuer = QStringLiteral("https://idp.example");
        expect.clientId = QStringLiteral("client-1");
        expect.providerName = QStringLiteral("Demo");
        return expect;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_rsa = TestKey::rsa(QStringLiteral("a"));
        m_rsaB = TestKey::rsa(QStringLiteral("b"));
        m_rsaX = TestKey::rsa(QStringLiteral("x"));
        m_stranger = TestKey::rsa(QStringLiteral("made-up"));
        m_ec256 = TestKey::ec(QStringLiteral("e"), "P-256");
        m_ec384 = TestKey::ec(QStringLiteral("f"), "P-384");
        m_rsaShort = TestKey::rsa(QStringLiteral("short"), 1024);
        QVERIFY(m_rsa.pkey && m_rsaB.pkey && m_rsaX.pkey && m_stranger.pkey && m_ec256.pkey && m_ec384.pkey && m_rsaShort.pkey);
    }

    void importKey_data()
    {
        QTest::addColumn<QJsonObject>("jwk");
        QTest::addColumn<QString>("reason"); // empty: the key is usable

        auto with = [](QJsonObject jwk, const char *name, const QJsonValue &value) {
            if (value.isNull())
                jwk.remove(QLatin1String(name));
            else
                jwk.insert(QLatin1String(name), value);
            return jwk;
        };
        const QJsonObject rsa = m_rsa.jwk(), ec = m_ec256.jwk();
        const QJsonValue removed = QJsonValue::Null;

        QTest::newRow("RSA 2048") << rsa << QString();
        QTest::newRow("RSA with use sig and alg RS256") << with(with(rsa, "use", QStringLiteral("sig")), "alg", QStringLiteral("RS256")) << QString();
        QTest::newRow("RSA with key_ops verify") << with(rsa, "key_ops", QJsonArray{QStringLiteral("verify")}) << QString();
        QTest::newRow("RSA modulus with a leading zero") << with(rsa, "n", b64(QByteArray(1, '\0') + m_rsa.bnParam(OSSL_PKEY_PARAM_RSA_N))) << QString();
        QTest::newRow("EC P-256") << ec << QString();
        QTest::newRow("EC P-384 with alg ES384") << with(m_ec384.jwk(), "alg", QStringLiteral("ES384")) << QString();
        QTest::newRow("unknown members ignored") << with(rsa, "x5t", QStringLiteral("abc")) << QString();

        QTest::newRow("oct") << QJsonObject{{QStringLiteral("kty"), QStringLiteral("oct")}, {QStringLiteral("k"), QStringLiteral("c2VjcmV0")}} << QStringLiteral("shared-secret");
        QTest::newRow("RSA 1024") << m_rsaShort.jwk() << QStringLiteral("1024 bits");
        QTest::newRow("curve P-521") << with(ec, "crv", QStringLiteral("P-521")) << QStringLiteral("curve 'P-521'");
        QTest::newRow("curve secp256k1") << with(ec, "crv", QStringLiteral("secp256k1")) << QStringLiteral("curve 'secp256k1'");
        QTest::newRow("OKP") << QJsonObject{{QStringLiteral("kty"), QStringLiteral("OKP")}, {QStringLiteral("crv"), QStringLiteral("Ed25519")}, {QStringLiteral("x"), QStringLiteral("AAAA")}}
                             << QStringLiteral("key type 'OKP'");
        QTest::newRow("no kty") << with(rsa, "kty", removed) << QStringLiteral("no 'kty'");
        QTest::newRow("use enc") << with(rsa, "use", QStringLiteral("enc")) << QStringLiteral("use 'enc'");
        QTest::newRow("key_ops encrypt") << with(rsa, "key_ops", QJsonArray{QStringLiteral("encrypt")}) << QStringLiteral("key_ops");
        QTest::newRow("alg RSA-OAEP") << with(rsa, "alg", QStringLiteral("RSA-OAEP")) << QStringLiteral("algorithm 'RSA-OAEP'");
        QTest::newRow("alg HS256") << with(rsa, "alg", QStringLiteral("HS256")) << QStringLiteral("algorithm 'HS256'");
        QTest::newRow("RSA key with alg ES256") << with(rsa, "alg", QStringLiteral("ES256")) << QStringLiteral("names algorithm 'ES256'");
        QTest::newRow("P-256 key with alg ES384") << with(ec, "alg", QStringLiteral("ES384")) << QStringLiteral("names algorithm 'ES384'");
        QTest::newRow("n missing") << with(rsa, "n", removed) << QStringLiteral("'n' is missing");
        QTest::newRow("e missing") << with(rsa, "e", removed) << QStringLiteral("'e' is missing");
        QTest::newRow("n padded base64") << with(rsa, "n", rsa.value(QStringLiteral("n")).toString() + QStringLiteral("==")) << QStringLiteral("'n' is not valid base64url");
        QTest::newRow("RSA exponent 3 (legal, if old-fashioned)") << with(rsa, "e", QStringLiteral("Aw")) << QString();
        QTest::newRow("RSA exponent 2") << with(rsa, "e", QStringLiteral("Ag")) << QStringLiteral("public-key check");
        QTest::newRow("RSA exponent 1") << with(rsa, "e", QStringLiteral("AQ")) << QStringLiteral("public-key check");
        QByteArray evenModulus = m_rsa.bnParam(OSSL_PKEY_PARAM_RSA_N);
        evenModulus.back() = char(evenModulus.back() & ~1);
        QTest::newRow("RSA modulus even") << with(rsa, "n", b64(evenModulus)) << QStringLiteral("public-key check");
        QTest::newRow("y missing") << with(ec, "y", removed) << QStringLiteral("'y' is missing");
        QTest::newRow("x short") << with(ec, "x", b64(m_ec256.bnParam(OSSL_PKEY_PARAM_EC_PUB_X, 32).mid(1))) << QStringLiteral("32 bytes");
        QByteArray offCurve = m_ec256.bnParam(OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        offCurve[31] = char(offCurve.at(31) ^ 1);
        QTest::newRow("point not on the curve") << with(ec, "y", b64(offCurve)) << QStringLiteral("not on the curve P-256");
        QTest::newRow("P-384 coordinates under P-256") << with(m_ec384.jwk(), "crv", QStringLiteral("P-256")) << QStringLiteral("32 bytes");
        QTest::newRow("private part published") << with(rsa, "d", QStringLiteral("AQAB")) << QStringLiteral("private part ('d')");
        QTest::newRow("kid not a string") << with(rsa, "kid", 1) << QStringLiteral("'kid'");
    }

    void importKey()
    {
        QFETCH(QJsonObject, jwk);
        QFETCH(QString, reason);

        QString why;
        const JsonWebKey key = JsonWebKey::fromJson(jwk, &why);
        QCOMPARE(key.isNull(), !reason.isEmpty());
        if (reason.isEmpty()) {
            QVERIFY(key.evpKey());
            QVERIFY(key.bits() >= 256);
            return;
        }
        QVERIFY2(why.contains(reason), qPrintable(why));

        // In a set, the unusable key is skipped with a logged reason and the good one still counts.
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #0 .*") + QRegularExpression::escape(reason)));
        JwksError error;
        const JsonWebKeySet set = JsonWebKeySet::fromJson(keySet({jwk, m_rsaB.jwk()}), &error);
        QVERIFY(!error.isError());
        QCOMPARE(set.keys().size(), 1);
        QCOMPARE(set.keys().first().keyId(), QStringLiteral("b"));
        QCOMPARE(set.skipped().size(), 1);
        QCOMPARE(set.skipped().first().index, 0);
        QVERIFY(set.skipped().first().reason.contains(reason));
    }

    void document_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<JwksError::Code>("code");
        QTest::newRow("empty object") << QByteArray("{}") << JwksError::Code::BadDocument;
        QTest::newRow("keys not an array") << QByteArray("{\"keys\":{}}") << JwksError::Code::BadDocument;
        QTest::newRow("no keys") << QByteArray("{\"keys\":[]}") << JwksError::Code::NoUsableKey;
        QTest::newRow("only unusable keys") << QByteArray("{\"keys\":[1,{\"kty\":\"oct\",\"k\":\"AA\"}]}") << JwksError::Code::NoUsableKey;
    }

    void document()
    {
        QFETCH(QByteArray, json);
        QFETCH(JwksError::Code, code);
        if (QByteArray(QTest::currentDataTag()) == "only unusable keys") {
            QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #0 .*not a JSON object")));
            QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #1 .*shared-secret")));
        }
        JwksError error;
        const JsonWebKeySet set = JsonWebKeySet::fromJson(QJsonDocument::fromJson(json).object(), &error);
        QCOMPARE(error.code, code);
        QVERIFY(!error.message.isEmpty());
        QVERIFY(set.isEmpty());
    }

    void tooManyKeys()
    {
        QJsonArray keys;
        for (int i = 0; i <= JsonWebKeySet::MaxKeys; ++i)
            keys << m_ec256.jwk();
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #%1 .*more than %2 keys").arg(JsonWebKeySet::MaxKeys).arg(JsonWebKeySet::MaxKeys)));
        const JsonWebKeySet set = JsonWebKeySet::fromJson(keySet(keys));
        QCOMPARE(set.keys().size(), JsonWebKeySet::MaxKeys);
    }

    void lookup_data()
    {
        QTest::addColumn<QString>("kid");
        QTest::addColumn<QString>("alg");
        QTest::addColumn<JsonWebKeySet::Lookup::Result>("result");
        QTest::addColumn<QString>("foundType"); // "RSA"/"EC" when found
        using R = JsonWebKeySet::Lookup::Result;
        // The set: a (RSA), b (RSA, alg RS256 only), e (P-256), x (RSA) and x (P-384) sharing a
        // kid, which RFC 7517 §4.5 allows for keys of different types.
        QTest::newRow("kid, RS256") << QStringLiteral("a") << QStringLiteral("RS256") << R::Found << QStringLiteral("RSA");
        QTest::newRow("kid, PS512 on RSA") << QStringLiteral("a") << QStringLiteral("PS512") << R::Found << QStringLiteral("RSA");
        QTest::newRow("kid of RSA, ES256") << QStringLiteral("a") << QStringLiteral("ES256") << R::WrongKeyType << QString();
        QTest::newRow("kid of EC, RS256") << QStringLiteral("e") << QStringLiteral("RS256") << R::WrongKeyType << QString();
        QTest::newRow("kid of P-256, ES384") << QStringLiteral("e") << QStringLiteral("ES384") << R::WrongKeyType << QString();
        QTest::newRow("kid of P-256, ES256") << QStringLiteral("e") << QStringLiteral("ES256") << R::Found << QStringLiteral("EC");
        QTest::newRow("alg-bound key, other alg") << QStringLiteral("b") << QStringLiteral("PS256") << R::WrongKeyType << QString();
        QTest::newRow("alg-bound key, its alg") << QStringLiteral("b") << QStringLiteral("RS256") << R::Found << QStringLiteral("RSA");
        QTest::newRow("kid of RSA, HS256") << QStringLiteral("a") << QStringLiteral("HS256") << R::WrongKeyType << QString();
        QTest::newRow("unknown kid") << QStringLiteral("zz") << QStringLiteral("RS256") << R::UnknownKeyId << QString();
        QTest::newRow("shared kid, RSA") << QStringLiteral("x") << QStringLiteral("RS384") << R::Found << QStringLiteral("RSA");
        QTest::newRow("shared kid, EC") << QStringLiteral("x") << QStringLiteral("ES384") << R::Found << QStringLiteral("EC");
        QTest::newRow("no kid, one P-256 key") << QString() << QStringLiteral("ES256") << R::Found << QStringLiteral("EC");
        QTest::newRow("no kid, one P-384 key") << QString() << QStringLiteral("ES384") << R::Found << QStringLiteral("EC");
        QTest::newRow("no kid, several RSA keys") << QString() << QStringLiteral("RS256") << R::Ambiguous << QString();
        QTest::newRow("no kid, none fits") << QString() << QStringLiteral("HS256") << R::UnknownKeyId << QString();
    }

    void lookup()
    {
        QFETCH(QString, kid);
        QFETCH(QString, alg);
        QFETCH(JsonWebKeySet::Lookup::Result, result);
        QFETCH(QString, foundType);

        QJsonObject bound = m_rsaB.jwk();
        bound.insert(QStringLiteral("alg"), QStringLiteral("RS256"));
        const QJsonObject sharedRsa = m_rsaX.jwk();
        QJsonObject sharedEc = m_ec384.jwk();
        sharedEc.insert(QStringLiteral("kid"), QStringLiteral("x"));
        const JsonWebKeySet set = JsonWebKeySet::fromJson(keySet({m_rsa.jwk(), bound, m_ec256.jwk(), sharedRsa, sharedEc}));
        QCOMPARE(set.keys().size(), 5);

        const JsonWebKeySet::Lookup lookup = set.find(kid, alg);
        QCOMPARE(lookup.result, result);
        if (result == JsonWebKeySet::Lookup::Result::Found) {
            QVERIFY(lookup.key.canVerify(alg));
            QCOMPARE(lookup.key.type() == JsonWebKey::Type::Rsa ? QStringLiteral("RSA") : QStringLiteral("EC"), foundType);
            if (!kid.isEmpty())
                QCOMPARE(lookup.key.keyId(), kid);
        }
    }

    // Copies share the EVP_PKEY, which lives as long as the last copy.
    void keysAreSharedAndOutliveTheirSet()
    {
        JsonWebKey copy;
        {
            const JsonWebKeySet set = JsonWebKeySet::fromJson(keySet({m_rsa.jwk()}));
            copy = set.keys().first();
            QCOMPARE(copy.evpKey(), set.keys().first().evpKey());
        }
        QVERIFY(copy.evpKey());
        QCOMPARE(EVP_PKEY_get_bits(copy.evpKey()), 2048);
        QCOMPARE(copy.describe(), QStringLiteral("RSA key 'a' (2048 bits)"));
        QVERIFY(JsonWebKey().isNull());
    }

    void fetch()
    {
        FakeJwksServer provider;
        provider.serve(keySet({m_rsa.jwk(), m_ec256.jwk()}));
        BoundedNetworkAccessManager network(5s);
        JwksCache cache(QStringLiteral("Demo"));
        QSignalSpy finished(&cache, &JwksCache::finished);

        cache.fetch(&network, provider.url());
        cache.fetch(&network, provider.url()); // joins the running fetch
        QVERIFY(cache.isFetching());
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY2(!cache.error().isError(), qPrintable(cache.error().message));
        QCOMPARE(cache.keys().keys().size(), 2);
        QVERIFY(cache.keys().contains(QStringLiteral("e")));
        QCOMPARE(provider.requests.size(), 1);
        QVERIFY(provider.requests.first().value("accept").contains("application/jwk-set+json"));
        QTest::qWait(50);
        QCOMPARE(finished.size(), 1);
    }

    void fetchFails_data()
    {
        QTest::addColumn<int>("status");        // 0: no answer (hang)
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QString>("url");       // empty: the fake provider's
        QTest::addColumn<JwksError::Code>("code");
        QTest::addColumn<int>("requests");
        using C = JwksError::Code;
        QTest::newRow("HTTP 404") << 404 << QByteArray("{\"error\":\"not_found\"}") << QString() << C::BadDocument << 1;
        QTest::newRow("not JSON") << 200 << QByteArray("<html>") << QString() << C::BadDocument << 1;
        QTest::newRow("no keys array") << 200 << QByteArray("{\"issuer\":\"x\"}") << QString() << C::BadDocument << 1;
        QTest::newRow("only unusable keys") << 200 << QByteArray("{\"keys\":[{\"kty\":\"oct\",\"k\":\"AA\"}]}") << QString() << C::NoUsableKey << 1;
        QTest::newRow("no answer") << 0 << QByteArray() << QString() << C::Unreachable << 1;
        QTest::newRow("plain http to a remote host") << 200 << QByteArray() << QStringLiteral("http://idp.example/jwks") << C::BadDocument << 0;
        QTest::newRow("not a URL") << 200 << QByteArray() << QStringLiteral("jwks.json") << C::BadDocument << 0;
    }

    void fetchFails()
    {
        QFETCH(int, status);
        QFETCH(QByteArray, body);
        QFETCH(QString, url);
        QFETCH(JwksError::Code, code);
        QFETCH(int, requests);

        FakeJwksServer provider;
        if (status)
            provider.answers["/jwks"] = {status, body};
        BoundedNetworkAccessManager network(1s);
        JwksCache cache(QStringLiteral("Demo"));
        QSignalSpy finished(&cache, &JwksCache::finished);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("^JWKS: .*Demo")));
        if (code == JwksError::Code::NoUsableKey)
            QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("skipping key #0")));
        cache.fetch(&network, url.isEmpty() ? provider.url() : QUrl(url));
        QCOMPARE(finished.size(), 0); // never synchronous
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QCOMPARE(cache.error().code, code);
        QVERIFY2(cache.error().message.contains(QStringLiteral("Demo")), qPrintable(cache.error().message));
        QVERIFY(cache.keys().isEmpty());
        QCOMPARE(provider.requests.size(), requests);
        if (requests == 0) {
            QVERIFY(!cache.refreshForUnknownKey()); // a refused URI is not retried
            QVERIFY(cache.jwksUri().isEmpty());
        }
    }

    // A provider hiccup on a refetch does not throw away the keys that worked.
    void failedRefetchKeepsKeys()
    {
        FakeJwksServer provider;
        provider.serve(keySet({m_rsa.jwk()}));
        BoundedNetworkAccessManager network(5s);
        JwksCache cache(QStringLiteral("Demo"));
        cache.setMinimumRefreshInterval(0ms);
        QSignalSpy finished(&cache, &JwksCache::finished);
        cache.fetch(&network, provider.url());
        QTRY_COMPARE(finished.size(), 1);

        provider.answers["/jwks"] = {500, "{}"};
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("unknown key; refetching")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("HTTP status 500")));
        QVERIFY(cache.refreshForUnknownKey());
        QTRY_COMPARE(finished.size(), 2);
        QCOMPARE(cache.error().code, JwksError::Code::BadDocument);
        QVERIFY(cache.keys().contains(QStringLiteral("a")));
    }

    // Tokens with made-up kids must not make Signet hammer the provider: at most one refetch per
    // interval, counted at the server.
    void keysGrowStale()
    {
        FakeJwksServer provider;
        provider.serve(keySet({m_rsa.jwk()}));
        BoundedNetworkAccessManager network(5s);
        JwksCache cache(QStringLiteral("Demo"));
        QCOMPARE(cache.maxAge(), 24h);
        QVERIFY(!cache.isFresh()); // nothing fetched
        QSignalSpy finished(&cache, &JwksCache::finished);
        cache.fetch(&network, provider.url());
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY(cache.isFresh());
        cache.setMaxAge(200ms);
        QTRY_VERIFY(!cache.isFresh());
        QVERIFY(!cache.keys().isEmpty()); // stale keys are kept until a fetch replaces them

        // A failed fetch does not make the old keys fresh again.
        provider.answers["/jwks"] = {200, "not json"};
        cache.fetch(&network, provider.url());
        QTRY_COMPARE(finished.size(), 2);
        QVERIFY(cache.error().isError());
        QVERIFY(!cache.isFresh());
        QVERIFY(!cache.keys().isEmpty());
    }

    void refreshIsRateLimited()
    {
        FakeJwksServer provider;
        provider.serve(keySet({m_rsa.jwk()}));
        BoundedNetworkAccessManager network(5s);
        JwksCache cache(QStringLiteral("Demo"));
        QCOMPARE(cache.minimumRefreshInterval(), 60'000ms);
        QVERIFY(!cache.refreshForUnknownKey()); // nothing fetched yet: nothing to refetch
        cache.setMinimumRefreshInterval(1000ms);
        QSignalSpy finished(&cache, &JwksCache::finished);

        cache.fetch(&network, provider.url());
        QVERIFY(cache.refreshForUnknownKey()); // joins the running fetch
        QTRY_COMPARE(finished.size(), 1);
        QCOMPARE(provider.requests.size(), 1);

        for (int i = 0; i < 20; ++i)
            QVERIFY(!cache.refreshForUnknownKey());
        QTest::qWait(100);
        QCOMPARE(provider.requests.size(), 1);
        QCOMPARE(finished.size(), 1);

        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("unknown key; refetching")));
        QTRY_VERIFY_WITH_TIMEOUT(cache.refreshForUnknownKey(), 5000); // once the interval has passed
        QVERIFY(cache.isFetching());
        QTRY_COMPARE(finished.size(), 2);
        QCOMPARE(provider.requests.size(), 2);
        for (int i = 0; i < 20; ++i)
            QVERIFY(!cache.refreshForUnknownKey());
        QTest::qWait(100);
        QCOMPARE(provider.requests.size(), 2);
    }

    // Key rotation (OpenID Connect Core §10.1.1): the provider starts signing with a new key;
    // the first token naming it triggers one refetch, which finds it. A made-up kid right after
    // gets no refetch.
    void keyRotation()
    {
        FakeJwksServer provider;
        provider.serve(keySet({m_rsa.jwk()}));
        BoundedNetworkAccessManager network(5s);
        JwksCache cache(QStringLiteral("Demo"));
        QSignalSpy finished(&cache, &JwksCache::finished);
        cache.fetch(&network, provider.url());
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY(IdTokenValidator::validate(m_rsa.rs256Token(claims()), cache.keys(), expectations()).isValid());

        provider.serve(keySet({m_rsa.jwk(), m_rsaB.jwk()})); // rotation at the provider
        const QByteArray token = m_rsaB.rs256Token(claims());
        IdTokenResult result = IdTokenValidator::validate(token, cache.keys(), expectations());
        QCOMPARE(result.error.check, IdTokenError::Check::UnknownKey);

        cache.setMinimumRefreshInterval(0ms); // as if the first fetch was long ago
        QTest::ignoreMessage(QtInfoMsg, QRegularExpression(QStringLiteral("unknown key; refetching")));
        QVERIFY(cache.refreshForUnknownKey());
        QTRY_COMPARE(finished.size(), 2);
        result = IdTokenValidator::validate(token, cache.keys(), expectations());
        QVERIFY2(result.isValid(), qPrintable(result.error.message));
        QCOMPARE(result.claims.value(QStringLiteral("sub")).toString(), QStringLiteral("u-1"));

        cache.setMinimumRefreshInterval(JwksCache::DefaultMinimumRefreshInterval);
        const QByteArray forged = m_stranger.rs256Token(claims());
        QCOMPARE(IdTokenValidator::validate(forged, cache.keys(), expectations()).error.check, IdTokenError::Check::UnknownKey);
        QVERIFY(!cache.refreshForUnknownKey());
        QTest::qWait(50);
        QCOMPARE(provider.requests.size(), 2);
        QCOMPARE(finished.size(), 2);
    }

    // Destroying the cache mid-fetch aborts quietly: no finished() from a dead object.
    void destroyWhileFetching()
    {
        FakeJwksServer provider; // no answer: the request hangs
        BoundedNetworkAccessManager network(5s);
        auto *cache = new JwksCache(QStringLiteral("Demo"));
        QSignalSpy finished(cache, &JwksCache::finished);
        cache->fetch(&network, provider.url());
        QTRY_COMPARE(provider.requests.size(), 1);
        delete cache;
        QTest::qWait(50);
        QCOMPARE(finished.size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestJwks)
#include "tst_jwks.moc"
