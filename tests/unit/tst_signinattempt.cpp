// SignInAttempt against a small misbehaving provider of our own (in-process, signing ID tokens
// with real keys made at run time), to check what the end-to-end tests cannot see: the exact
// token request Qt 6.4's flow sends (encoding, PKCE verifier), one row per ID-token rule, and
// that a rejected response stops the attempt before any further call to the provider.
// (The end-to-end tests run the same code against the real oidc-provider.)

#include "auth/jwks.h"
#include "auth/pkce.h"
#include "auth/signinattempt.h"
#include "net/boundednetworkaccessmanager.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include "fakeprovider.h"
#include "testkeys.h"

using namespace Signet;
using namespace std::chrono_literals;
using Code = SignInError::Code;

Q_DECLARE_METATYPE(SignInError::Code)

namespace {

// Plays the browser: sends the redirect to the loopback listener.
int deliverCallback(const QUrl &redirectUri, const QByteArray &query)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(redirectUri.port()));
    if (!socket.waitForConnected(5000))
        return -1;
    socket.write("GET " + redirectUri.path().toUtf8() + '?' + query + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(redirectUri.port()) + "\r\n\r\n");
    QByteArray response;
    QDeadlineTimer deadline(5000);
    while (socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired()) {
        QTest::qWait(5);
        response += socket.readAll();
    }
    return response.mid(9, 3).toInt();
}

QString formValue(const QByteArray &body, const QString &name)
{
    // application/x-www-form-urlencoded, decoded exactly once as a server does.
    for (const QByteArray &pair : body.split('&')) {
        const qsizetype eq = pair.indexOf('=');
        QByteArray value = pair.mid(eq + 1);
        value.replace('+', ' ');
        if (QByteArray::fromPercentEncoding(pair.left(eq)) == name.toUtf8())
            return QString::fromUtf8(QByteArray::fromPercentEncoding(value));
    }
    return {};
}

// Plays the person and the browser for one attempt: starts it, waits for the authorization URL,
// makes the provider answer the token request with the ID token `makeIdToken` builds for this
// attempt's nonce, sends the redirect and waits until the attempt ends.
bool completeSignIn(FakeProvider &fake, SignInAttempt &attempt, const std::function<QByteArray(const QString &nonce)> &makeIdToken)
{
    QSignalSpy urlReady(&attempt, &SignInAttempt::authorizationUrlReady);
    QSignalSpy finished(&attempt, &SignInAttempt::finished);
    attempt.start();
    if (!QTest::qWaitFor([&] { return !urlReady.isEmpty(); }, 5000))
        return false;
    const QUrlQuery query(urlReady.first().first().toUrl());
    fake.answers["/token"] = {200, "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":\"" + makeIdToken(query.queryItemValue(QStringLiteral("nonce"))) + "\"}"};
    deliverCallback(QUrl(query.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded)), "code=c&state=" + query.queryItemValue(QStringLiteral("state")).toLatin1());
    return QTest::qWaitFor([&] { return !finished.isEmpty(); }, 10000);
}

} // namespace

class TestSignInAttempt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void successSendsExactTokenRequest()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/me"] = {200, "{\"sub\":\"u-1\",\"email\":\"ann@corp.example\",\"email_verified\":true,\"name\":\"Ann\"}"};

        SignInAttempt attempt(providerFor(fake), 60s, 3600s);
        QSignalSpy urlReady(&attempt, &SignInAttempt::authorizationUrlReady);
        QSignalSpy finished(&attempt, &SignInAttempt::finished);
        attempt.start();
        QTRY_COMPARE(urlReady.size(), 1);

        const QUrl url = urlReady.first().first().toUrl();
        const QUrlQuery query(url);
        QCOMPARE(url.path(), QStringLiteral("/auth"));
        QCOMPARE(query.queryItemValue(QStringLiteral("response_type")), QStringLiteral("code"));
        QCOMPARE(query.queryItemValue(QStringLiteral("client_id")), QStringLiteral("client-1"));
        QCOMPARE(query.queryItemValue(QStringLiteral("code_challenge_method")), QStringLiteral("S256"));
        const QString challenge = query.queryItemValue(QStringLiteral("code_challenge"));
        const QString state = query.queryItemValue(QStringLiteral("state"));
        QCOMPARE(state.size(), 43); // 256 bits, not Qt 6.4's 8 characters
        QVERIFY(!query.queryItemValue(QStringLiteral("nonce")).isEmpty());
        const QUrl redirect(query.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
        QCOMPARE(redirect.host(), QStringLiteral("127.0.0.1"));
        QCOMPARE(redirect.path(), QStringLiteral("/callback/fake"));
        QVERIFY(redirect.port() > 0);

        const QByteArray idToken = fake.idToken(query.queryItemValue(QStringLiteral("nonce")));
        fake.answers["/token"] = {200, "{\"access_token\":\"at-secret-1234\",\"token_type\":\"Bearer\",\"expires_in\":300,\"id_token\":\"" + idToken +
                                           "\",\"refresh_token\":\"rt-secret-1234\"}"};

        // A code with characters that need encoding ("4/0Ab+c"), as Google's codes have.
        QCOMPARE(deliverCallback(redirect, "code=4%2F0Ab%2Bc&state=" + state.toLatin1()), 200);
        QTRY_COMPARE(finished.size(), 1);
        QVERIFY2(!attempt.error().isError(), qPrintable(attempt.error().message));

        const FakeProvider::Request token = fake.last("/token");
        QCOMPARE(token.method, QByteArray("POST"));
        QCOMPARE(token.headers.value("accept"), QByteArray("application/json"));
        QCOMPARE(token.headers.value("content-type"), QByteArray("application/x-www-form-urlencoded"));
        QCOMPARE(formValue(token.body, QStringLiteral("grant_type")), QStringLiteral("authorization_code"));
        QCOMPARE(formValue(token.body, QStringLiteral("code")), QStringLiteral("4/0Ab+c"));
        QCOMPARE(formValue(token.body, QStringLiteral("redirect_uri")), redirect.toString());
        QCOMPARE(formValue(token.body, QStringLiteral("client_id")), QStringLiteral("client-1"));
        const QString verifier = formValue(token.body, QStringLiteral("code_verifier"));
        QCOMPARE(QString::fromLatin1(Pkce::challengeFor(verifier.toLatin1())), challenge);

        QCOMPARE(fake.last("/me").headers.value("authorization"), QByteArray("Bearer at-secret-1234"));
        QCOMPARE(attempt.identity().subject, QStringLiteral("u-1"));
        QCOMPARE(attempt.identity().issuer, fake.issuer());
        QCOMPARE(attempt.identity().email, QStringLiteral("ann@corp.example"));
        QVERIFY(attempt.identity().emailVerified);
        QCOMPARE(attempt.tokens().refreshToken, QStringLiteral("rt-secret-1234"));
        QCOMPARE(attempt.tokens().idToken, QString::fromLatin1(idToken));
        QCOMPARE(fake.count("/jwks"), 1);
        QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(attempt.identity().expiresAt) - 3600) < 5);

        // The listener is closed once the response was used.
        QCOMPARE(deliverCallback(redirect, "code=x&state=" + state.toLatin1()), -1);
    }

    void failures_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QByteArray>("claims"); // changes to a good ID token (JSON object)
        QTest::addColumn<QByteArray>("header"); // extra ID-token header members (JSON object)
        QTest::addColumn<SignInError::Code>("code");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("tokenRequests");
        QTest::addColumn<int>("userinfoRequests");

        const QByteArray none = "{}";
        QTest::newRow("discovery names another issuer") << QStringLiteral("wrong-issuer") << none << none << Code::ProviderError << QStringLiteral("names the issuer") << 0 << 0;
        QTest::newRow("discovery 404") << QStringLiteral("no-discovery") << none << none << Code::ProviderError << QStringLiteral("discovery document") << 0 << 0;
        QTest::newRow("authorization endpoint over http") << QStringLiteral("http-endpoint") << none << none << Code::ProviderError << QStringLiteral("without https") << 0 << 0;
        QTest::newRow("no jwks_uri") << QStringLiteral("no-jwks") << none << none << Code::ProviderError << QStringLiteral("publishes no signing keys") << 0 << 0;
        QTest::newRow("user denies") << QStringLiteral("denied") << none << none << Code::AccessDenied << QStringLiteral("declined or cancelled") << 0 << 0;
        QTest::newRow("token error with HTTP 200") << QStringLiteral("token-error-200") << none << none << Code::ProviderError << QStringLiteral("bad_verification_code") << 1 << 0;
        QTest::newRow("token type mac") << QStringLiteral("token-mac") << none << none << Code::ProviderError << QStringLiteral("only Bearer") << 1 << 0;
        QTest::newRow("no id token") << QStringLiteral("no-id-token") << none << none << Code::ProviderError << QStringLiteral("without an ID token") << 1 << 0;
        QTest::newRow("token endpoint hangs") << QStringLiteral("token-hangs") << none << none << Code::ProviderUnreachable << QStringLiteral("no answer in time") << 1 << 0;
        QTest::newRow("token endpoint trickles (total deadline)") << QStringLiteral("token-trickles") << none << none << Code::ProviderUnreachable << QStringLiteral("no answer in time") << 1 << 0;
        QTest::newRow("discovery document too large") << QStringLiteral("discovery-huge") << none << none << Code::ProviderError << QStringLiteral("larger than 1048576 bytes") << 0 << 0;
        QTest::newRow("token endpoint redirects elsewhere") << QStringLiteral("token-redirect") << none << none << Code::ProviderError << QStringLiteral("HTTP status 307") << 1 << 0;
        QTest::newRow("userinfo redirects elsewhere") << QStringLiteral("userinfo-redirect") << none << none << Code::ProviderError << QStringLiteral("HTTP status 302") << 1 << 1;
        QTest::newRow("userinfo over plain http elsewhere") << QStringLiteral("userinfo-http") << none << none << Code::ProviderError << QStringLiteral("without https") << 0 << 0;
        QTest::newRow("keys unreachable") << QStringLiteral("jwks-hangs") << none << none << Code::ProviderUnreachable << QString() << 1 << 0;

        // One row per ID-token rule (OpenID Connect Core §3.1.3.7, RFC 8725): the token endpoint
        // answered, the ID token is refused, and userinfo is never asked.
        QTest::newRow("id token: wrong iss") << QStringLiteral("id-token") << QByteArray("{\"iss\":\"https://evil.example\"}") << none << Code::ProviderError << QStringLiteral("not by the configured issuer") << 1 << 0;
        QTest::newRow("id token: other audience") << QStringLiteral("id-token") << QByteArray("{\"aud\":\"someone-else\"}") << none << Code::ProviderError << QStringLiteral("not meant for this client") << 1 << 0;
        QTest::newRow("id token: untrusted extra audience") << QStringLiteral("id-token") << QByteArray("{\"aud\":[\"client-1\",\"api://other\"],\"azp\":\"client-1\"}") << none << Code::ProviderError << QStringLiteral("an audience Signet is not configured to trust") << 1 << 0;
        QTest::newRow("id token: azp of another client") << QStringLiteral("id-token") << QByteArray("{\"azp\":\"someone-else\"}") << none << Code::ProviderError << QStringLiteral("issued to another client") << 1 << 0;
        QTest::newRow("id token: expired") << QStringLiteral("id-token") << QByteArray("{\"exp\":1000000000}") << none << Code::ProviderError << QStringLiteral("expired at") << 1 << 0;
        QTest::newRow("id token: issued in the future") << QStringLiteral("id-token") << QByteArray("{\"iat\":4000000000,\"exp\":4000000300}") << none << Code::ProviderError << QStringLiteral("issued in the future") << 1 << 0;
        QTest::newRow("id token: not yet valid") << QStringLiteral("id-token") << QByteArray("{\"nbf\":4000000000}") << none << Code::ProviderError << QStringLiteral("not valid before") << 1 << 0;
        QTest::newRow("id token: no sub") << QStringLiteral("id-token") << QByteArray("{\"sub\":null}") << none << Code::ProviderError << QStringLiteral("does not say who signed in") << 1 << 0;
        QTest::newRow("id token: wrong nonce") << QStringLiteral("id-token") << QByteArray("{\"nonce\":\"replayed\"}") << none << Code::ProviderError << QStringLiteral("does not belong to this sign-in") << 1 << 0;
        QTest::newRow("id token: no nonce") << QStringLiteral("id-token") << QByteArray("{\"nonce\":null}") << none << Code::ProviderError << QStringLiteral("does not belong to this sign-in") << 1 << 0;
        QTest::newRow("id token: alg not advertised") << QStringLiteral("id-token") << none << QByteArray("{\"alg\":\"PS256\"}") << Code::ProviderError << QStringLiteral("not among the algorithms allowed") << 1 << 0;
        QTest::newRow("id token: key in header") << QStringLiteral("id-token") << none << QByteArray("{\"jwk\":{\"kty\":\"oct\",\"k\":\"AAAA\"}}") << Code::ProviderError << QStringLiteral("brings its own key") << 1 << 0;
        QTest::newRow("id token: key url in header") << QStringLiteral("id-token") << none << QByteArray("{\"jku\":\"https://evil.example/keys\"}") << Code::ProviderError << QStringLiteral("brings its own key") << 1 << 0;
        QTest::newRow("id token: unknown key, nothing new published") << QStringLiteral("id-token-unknown-key") << none << none << Code::ProviderError << QStringLiteral("not among the provider's published keys") << 1 << 0;
        QTest::newRow("id token: tampered") << QStringLiteral("id-token-tampered") << none << none << Code::ProviderError << QStringLiteral("does not verify") << 1 << 0;
        QTest::newRow("id token: unsigned") << QStringLiteral("id-token-unsigned") << none << none << Code::ProviderError << QStringLiteral("not signed") << 1 << 0;

        QTest::newRow("userinfo 401") << QStringLiteral("userinfo-401") << none << none << Code::ProviderError << QStringLiteral("did not return your profile") << 1 << 1;
    }

    void failures()
    {
        QFETCH(QString, scenario);
        QFETCH(QByteArray, claims);
        QFETCH(QByteArray, header);
        QFETCH(SignInError::Code, code);
        QFETCH(QString, message);
        QFETCH(int, tokenRequests);
        QFETCH(int, userinfoRequests);

        FakeProvider fake;
        FakeProvider thief; // another origin a redirect may point at: it must never be asked anything
        thief.answers["/steal"] = {200, "{}"};
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/me"] = {200, "{\"sub\":\"u-1\"}"};
        if (scenario == QLatin1String("wrong-issuer"))
            fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery(QStringLiteral("https://evil.example"))};
        else if (scenario == QLatin1String("no-discovery"))
            fake.answers["/.well-known/openid-configuration"] = {404, "{}"};
        else if (scenario == QLatin1String("http-endpoint"))
            fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery({}, QStringLiteral("http://idp.example/auth"))};
        else if (scenario == QLatin1String("no-jwks")) {
            QJsonObject document = QJsonDocument::fromJson(fake.discovery()).object();
            document.remove(QStringLiteral("jwks_uri"));
            fake.answers["/.well-known/openid-configuration"] = {200, QJsonDocument(document).toJson()};
        } else if (scenario == QLatin1String("jwks-hangs"))
            fake.answers.remove("/jwks");
        else if (scenario == QLatin1String("userinfo-401"))
            fake.answers["/me"] = {401, "{\"error\":\"invalid_token\"}"};
        else if (scenario == QLatin1String("userinfo-redirect"))
            fake.answers["/me"] = {302, thief.issuer().toLatin1() + "/steal"};
        else if (scenario == QLatin1String("userinfo-http")) {
            QJsonObject document = QJsonDocument::fromJson(fake.discovery()).object();
            document.insert(QStringLiteral("userinfo_endpoint"), QStringLiteral("http://192.0.2.2/me"));
            fake.answers["/.well-known/openid-configuration"] = {200, QJsonDocument(document).toJson()};
        } else if (scenario == QLatin1String("discovery-huge"))
            fake.answers["/.well-known/openid-configuration"] = {200, "{\"pad\":\"" + QByteArray(1100 * 1024, 'x') + "\"}"};

        ProviderConfig provider = providerFor(fake);
        provider.httpTimeout = 1s;
        SignInAttempt attempt(provider, 60s, 3600s);
        QSignalSpy urlReady(&attempt, &SignInAttempt::authorizationUrlReady);
        QSignalSpy finished(&attempt, &SignInAttempt::finished);
        attempt.start();
        QTRY_VERIFY(urlReady.size() == 1 || finished.size() == 1);
        if (finished.isEmpty()) {
            const QUrlQuery query(urlReady.first().first().toUrl());
            const QString nonce = query.queryItemValue(QStringLiteral("nonce"));
            QByteArray idToken = fake.idToken(nonce, QJsonDocument::fromJson(claims).object(), QJsonDocument::fromJson(header).object());
            if (scenario == QLatin1String("id-token-unknown-key")) {
                const auto stranger = TestKeys::TestKey::rsa(QStringLiteral("key-2"));
                idToken = fake.idToken(nonce, {}, {}, &stranger);
            } else if (scenario == QLatin1String("id-token-tampered")) {
                QList<QByteArray> parts = idToken.split('.');
                parts[1] = TestKeys::b64("{\"iss\":\"x\",\"sub\":\"admin\"}");
                idToken = parts.join('.');
            } else if (scenario == QLatin1String("id-token-unsigned")) {
                idToken = TestKeys::b64("{\"alg\":\"none\"}") + '.' + idToken.split('.').at(1) + '.';
            }
            QByteArray tokenBody = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":\"" + idToken + "\"}";
            if (scenario == QLatin1String("token-error-200"))
                tokenBody = "{\"error\":\"bad_verification_code\"}";
            else if (scenario == QLatin1String("token-mac"))
                tokenBody = "{\"access_token\":\"at-1\",\"token_type\":\"mac\",\"id_token\":\"" + idToken + "\"}";
            else if (scenario == QLatin1String("no-id-token"))
                tokenBody = "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\"}";
            if (scenario == QLatin1String("token-redirect"))
                fake.answers["/token"] = {307, thief.issuer().toLatin1() + "/steal"};
            else if (scenario == QLatin1String("token-trickles"))
                fake.answers["/token"] = {FakeProvider::Trickle, {}};
            else if (scenario != QLatin1String("token-hangs"))
                fake.answers["/token"] = {200, tokenBody};

            const QUrl redirect(query.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
            const QByteArray state = query.queryItemValue(QStringLiteral("state")).toLatin1();
            deliverCallback(redirect, scenario == QLatin1String("denied") ? "error=access_denied&state=" + state : "code=c0de&state=" + state);
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(attempt.error().code, code);
        QVERIFY2(attempt.error().message.contains(message), qPrintable(attempt.error().message));
        QCOMPARE(fake.count("/token"), tokenRequests);
        QCOMPARE(fake.count("/me"), userinfoRequests);
        QCOMPARE(thief.requests.size(), 0);
        QVERIFY(attempt.tokens().accessToken.isEmpty()); // nothing kept from a failed attempt
        QVERIFY(!attempt.error().message.contains(QStringLiteral("c0de")));
        // A refused ID token names the rule that failed, a token endpoint's error answer its OAuth error
        // code, for programs and logs.
        QCOMPARE(!attempt.error().check.isEmpty(), scenario.startsWith(QLatin1String("id-token")) || scenario.startsWith(QLatin1String("token-error")));
        if (QByteArray(QTest::currentDataTag()).contains("nonce"))
            QCOMPARE(attempt.error().check, QStringLiteral("nonce"));
        if (scenario == QLatin1String("token-error-200"))
            QCOMPARE(attempt.error().check, QStringLiteral("bad_verification_code"));
    }

    void specialCharactersArriveIntact()
    {
        // Qt 6.4 leaves '+' and '%XX' in parameter values as they are; Signet must not.
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/me"] = {200, "{\"sub\":\"u-1\"}"};
        ProviderConfig provider = providerFor(fake);
        provider.clientId = QStringLiteral("app+1%41 x");
        provider.clientSecret = QStringLiteral("ab+cd/ef%41gh&x=y");
        SignInAttempt attempt(provider, 60s, 3600s);
        QString authorizationClientId;
        connect(&attempt, &SignInAttempt::authorizationUrlReady, this, [&](const QUrl &url) {
            authorizationClientId = QUrlQuery(url).queryItemValue(QStringLiteral("client_id"), QUrl::FullyDecoded);
        });
        QVERIFY(completeSignIn(fake, attempt, [&](const QString &nonce) {
            return fake.idToken(nonce, QJsonObject{{QStringLiteral("aud"), provider.clientId}});
        }));
        QVERIFY2(!attempt.error().isError(), qPrintable(attempt.error().message));
        QCOMPARE(authorizationClientId, provider.clientId);
        const QByteArray body = fake.last("/token").body;
        QCOMPARE(formValue(body, QStringLiteral("client_id")), provider.clientId);
        QCOMPARE(formValue(body, QStringLiteral("client_secret")), provider.clientSecret);
        QCOMPARE(formValue(body, QStringLiteral("code")), QStringLiteral("c"));
    }

    void keyRotationIsFollowedOnce()
    {
        // The provider rotates to a new key after Signet fetched the old set: the unknown kid makes
        // Signet refetch once, and the new key is accepted.
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/me"] = {200, "{\"sub\":\"u-1\",\"email\":\"ann@corp.example\"}"};
        const auto oldKey = fake.key;
        const auto newKey = TestKeys::TestKey::ec(QStringLiteral("key-2"), "P-256");

        JwksCache cache(QStringLiteral("Fake"));
        BoundedNetworkAccessManager keysNetwork(2s);
        QSignalSpy cacheReady(&cache, &JwksCache::finished);
        cache.fetch(&keysNetwork, QUrl(fake.issuer() + QStringLiteral("/jwks")));
        QTRY_COMPARE(cacheReady.size(), 1); // holds key-1 only
        cache.setMinimumRefreshInterval(0ms);
        fake.publishKeys({oldKey, newKey});

        SignInAttempt attempt(providerFor(fake), 60s, 3600s, {&cache, &keysNetwork});
        QVERIFY(completeSignIn(fake, attempt, [&](const QString &nonce) {
            return fake.idToken(nonce, {}, QJsonObject{{QStringLiteral("alg"), QStringLiteral("ES256")}}, &newKey);
        }));
        QVERIFY2(!attempt.error().isError(), qPrintable(attempt.error().message));
        QCOMPARE(fake.count("/jwks"), 2);
        QCOMPARE(attempt.identity().subject, QStringLiteral("u-1"));
    }

    void userinfoForAnotherSubjectIsDiscarded()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/me"] = {200, "{\"sub\":\"someone-else\",\"email\":\"mallory@evil.example\",\"email_verified\":true,\"name\":\"Mallory\"}"};
        SignInAttempt attempt(providerFor(fake), 60s, 3600s);
        QVERIFY(completeSignIn(fake, attempt, [&](const QString &nonce) { return fake.idToken(nonce); }));
        QVERIFY(!attempt.error().isError());
        QCOMPARE(attempt.identity().subject, QStringLiteral("u-1"));
        QCOMPARE(attempt.identity().email, QStringLiteral("from-id-token@corp.example")); // not Mallory's
        QVERIFY(attempt.identity().name.isEmpty());
    }

    // Over-long claims are dropped whole: a shortened e-mail address would be someone else's.
    void overLongClaimsAreDropped()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        const QString longName(SignInAttempt::MaxClaimLength + 1, QLatin1Char('n'));
        const QString longestEmail = QString(SignInAttempt::MaxClaimLength - 13, QLatin1Char('a')) + QStringLiteral("@corp.example");
        fake.answers["/me"] = {200, QJsonDocument(QJsonObject{{QStringLiteral("sub"), QStringLiteral("u-1")},
                                                              {QStringLiteral("name"), longName},
                                                              {QStringLiteral("email"), longestEmail}})
                                        .toJson(QJsonDocument::Compact)};
        SignInAttempt attempt(providerFor(fake), 60s, 3600s);
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("over-long.*name")));
        QVERIFY(completeSignIn(fake, attempt, [&](const QString &nonce) { return fake.idToken(nonce); }));
        QVERIFY2(!attempt.error().isError(), qPrintable(attempt.error().message));
        QVERIFY(attempt.identity().name.isEmpty());
        QCOMPARE(attempt.identity().email, longestEmail); // exactly at the limit: kept
    }

    // The address and its verified flag come from one source: the ID token's verification does not
    // vouch for another address that userinfo reports without one.
    void userinfoAddressIsNotVerifiedByTheIdToken()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/me"] = {200, "{\"sub\":\"u-1\",\"email\":\"someone-else@corp.example\"}"};
        SignInAttempt attempt(providerFor(fake), 60s, 3600s);
        QVERIFY(completeSignIn(fake, attempt, [&](const QString &nonce) { return fake.idToken(nonce); })); // email_verified: true
        QVERIFY(!attempt.error().isError());
        QCOMPARE(attempt.identity().email, QStringLiteral("someone-else@corp.example"));
        QVERIFY(!attempt.identity().emailVerified);
    }

    void stateExpires()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        SignInAttempt attempt(providerFor(fake), 1s, 3600s);
        QSignalSpy finished(&attempt, &SignInAttempt::finished);
        attempt.start();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 5000);
        QCOMPARE(attempt.error().code, Code::StateExpired);
        QVERIFY2(attempt.error().message.contains(QStringLiteral("not finished within 1 second, so it expired")), qPrintable(attempt.error().message));
    }

    void cancelIsFinal()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        SignInAttempt attempt(providerFor(fake), 60s, 3600s);
        QSignalSpy finished(&attempt, &SignInAttempt::finished);
        attempt.start();
        attempt.cancel();
        attempt.cancel();
        QCOMPARE(finished.size(), 1);
        QCOMPARE(attempt.error().code, Code::Cancelled);
    }
};

QTEST_GUILESS_MAIN(TestSignInAttempt)
#include "tst_signinattempt.moc"
