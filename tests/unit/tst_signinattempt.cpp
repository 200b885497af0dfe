// SignInAttempt against a small in-process provider, to check what the end-to-end tests cannot
// see: the exact token request Qt 6.4's flow sends (encoding, PKCE verifier), and that a
// rejected response stops the attempt before any further call to the provider.
// (The end-to-end tests run the same code against the real oidc-provider.)

#include "auth/pkce.h"
#include "auth/signinattempt.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QUrlQuery>

using namespace Signet;
using namespace std::chrono_literals;
using Code = SignInError::Code;

Q_DECLARE_METATYPE(SignInError::Code)

namespace {

// Serves fixed answers per path and records every request (method, path, headers, body).
class FakeProvider : public QObject
{
public:
    struct Request {
        QByteArray method, path;
        QMap<QByteArray, QByteArray> headers;
        QByteArray body;
    };
    QMap<QByteArray, QPair<int, QByteArray>> answers; // path -> (status, JSON body); missing = hang
    QList<Request> requests;

    FakeProvider()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
            }
        });
    }
    QString issuer() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    QByteArray discovery(const QString &issuerOverride = {}, const QString &authEndpoint = {}) const
    {
        const QString iss = issuerOverride.isEmpty() ? issuer() : issuerOverride;
        return QJsonDocument(QJsonObject{{QStringLiteral("issuer"), iss},
                                         {QStringLiteral("authorization_endpoint"), authEndpoint.isEmpty() ? issuer() + QStringLiteral("/auth") : authEndpoint},
                                         {QStringLiteral("token_endpoint"), issuer() + QStringLiteral("/token")},
                                         {QStringLiteral("userinfo_endpoint"), issuer() + QStringLiteral("/me")},
                                         {QStringLiteral("code_challenge_methods_supported"), QJsonArray{QStringLiteral("S256")}}})
            .toJson(QJsonDocument::Compact);
    }
    int count(const QByteArray &path) const
    {
        return int(std::count_if(requests.cbegin(), requests.cend(), [&](const Request &r) { return r.path == path; }));
    }
    Request last(const QByteArray &path) const
    {
        for (auto it = requests.crbegin(); it != requests.crend(); ++it) {
            if (it->path == path)
                return *it;
        }
        return {};
    }

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray buffer = socket->property("buffer").toByteArray() + socket->readAll();
        socket->setProperty("buffer", buffer);
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        Request request;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        const QList<QByteArray> first = lines.first().trimmed().split(' ');
        request.method = first.value(0);
        request.path = first.value(1).split('?').first();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines.at(i).indexOf(':');
            request.headers.insert(lines.at(i).left(colon).trimmed().toLower(), lines.at(i).mid(colon + 1).trimmed());
        }
        const int length = request.headers.value("content-length").toInt();
        if (buffer.size() < end + 4 + length)
            return;
        request.body = buffer.mid(end + 4, length);
        requests << request;
        if (!answers.contains(request.path))
            return; // hang: the client's deadline must end it
        const auto [status, body] = answers.value(request.path);
        socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
};

ProviderConfig providerFor(const FakeProvider &fake)
{
    ProviderConfig p;
    p.id = QStringLiteral("fake");
    p.type = QStringLiteral("oidc");
    p.displayName = QStringLiteral("Fake");
    p.issuer = QUrl(fake.issuer());
    p.clientId = QStringLiteral("client-1");
    p.scopes = {QStringLiteral("openid"), QStringLiteral("email")};
    p.httpTimeout = 2s;
    return p;
}

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

} // namespace

class TestSignInAttempt : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void successSendsExactTokenRequest()
    {
        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/token"] = {200, "{\"access_token\":\"at-secret-1234\",\"token_type\":\"Bearer\",\"expires_in\":300,\"id_token\":\"h.p.s\",\"refresh_token\":\"rt-secret-1234\"}"};
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
        QCOMPARE(attempt.tokens().idToken, QStringLiteral("h.p.s"));
        QVERIFY(qAbs(QDateTime::currentDateTimeUtc().secsTo(attempt.identity().expiresAt) - 3600) < 5);

        // The listener is closed once the response was used.
        QCOMPARE(deliverCallback(redirect, "code=x&state=" + state.toLatin1()), -1);
    }

    void failures_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<SignInError::Code>("code");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("tokenRequests");
        QTest::addColumn<int>("userinfoRequests");

        QTest::newRow("discovery names another issuer") << QStringLiteral("wrong-issuer") << Code::ProviderError << QStringLiteral("names the issuer") << 0 << 0;
        QTest::newRow("discovery 404") << QStringLiteral("no-discovery") << Code::ProviderError << QStringLiteral("discovery document") << 0 << 0;
        QTest::newRow("authorization endpoint over http") << QStringLiteral("http-endpoint") << Code::ProviderError << QStringLiteral("without https") << 0 << 0;
        QTest::newRow("token error with HTTP 200") << QStringLiteral("token-error-200") << Code::ProviderError << QStringLiteral("bad_verification_code") << 1 << 0;
        QTest::newRow("token type mac") << QStringLiteral("token-mac") << Code::ProviderError << QStringLiteral("only Bearer") << 1 << 0;
        QTest::newRow("no id token") << QStringLiteral("no-id-token") << Code::ProviderError << QStringLiteral("without an ID token") << 1 << 0;
        QTest::newRow("token endpoint hangs") << QStringLiteral("token-hangs") << Code::ProviderUnreachable << QStringLiteral("no answer in time") << 1 << 0;
        QTest::newRow("userinfo without sub") << QStringLiteral("userinfo-no-sub") << Code::ProviderError << QStringLiteral("without a subject") << 1 << 1;
        QTest::newRow("userinfo 401") << QStringLiteral("userinfo-401") << Code::ProviderError << QStringLiteral("did not return your profile") << 1 << 1;
        QTest::newRow("user denies") << QStringLiteral("denied") << Code::AccessDenied << QStringLiteral("declined or cancelled") << 0 << 0;
    }

    void failures()
    {
        QFETCH(QString, scenario);
        QFETCH(SignInError::Code, code);
        QFETCH(QString, message);
        QFETCH(int, tokenRequests);
        QFETCH(int, userinfoRequests);

        FakeProvider fake;
        fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery()};
        fake.answers["/token"] = {200, "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\",\"id_token\":\"h.p.s\"}"};
        fake.answers["/me"] = {200, "{\"sub\":\"u-1\"}"};
        if (scenario == QLatin1String("wrong-issuer"))
            fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery(QStringLiteral("https://evil.example"))};
        else if (scenario == QLatin1String("no-discovery"))
            fake.answers["/.well-known/openid-configuration"] = {404, "{}"};
        else if (scenario == QLatin1String("http-endpoint"))
            fake.answers["/.well-known/openid-configuration"] = {200, fake.discovery({}, QStringLiteral("http://idp.example/auth"))};
        else if (scenario == QLatin1String("token-error-200"))
            fake.answers["/token"] = {200, "{\"error\":\"bad_verification_code\"}"};
        else if (scenario == QLatin1String("token-mac"))
            fake.answers["/token"] = {200, "{\"access_token\":\"at-1\",\"token_type\":\"mac\",\"id_token\":\"h.p.s\"}"};
        else if (scenario == QLatin1String("no-id-token"))
            fake.answers["/token"] = {200, "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\"}"};
        else if (scenario == QLatin1String("token-hangs"))
            fake.answers.remove("/token");
        else if (scenario == QLatin1String("userinfo-no-sub"))
            fake.answers["/me"] = {200, "{\"email\":\"x@y.example\"}"};
        else if (scenario == QLatin1String("userinfo-401"))
            fake.answers["/me"] = {401, "{\"error\":\"invalid_token\"}"};

        ProviderConfig provider = providerFor(fake);
        provider.httpTimeout = 1s;
        SignInAttempt attempt(provider, 60s, 3600s);
        QSignalSpy urlReady(&attempt, &SignInAttempt::authorizationUrlReady);
        QSignalSpy finished(&attempt, &SignInAttempt::finished);
        attempt.start();
        QTRY_VERIFY(urlReady.size() == 1 || finished.size() == 1);
        if (finished.isEmpty()) {
            const QUrlQuery query(urlReady.first().first().toUrl());
            const QUrl redirect(query.queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded));
            const QByteArray state = query.queryItemValue(QStringLiteral("state")).toLatin1();
            deliverCallback(redirect, scenario == QLatin1String("denied") ? "error=access_denied&state=" + state : "code=c0de&state=" + state);
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 10000);
        QCOMPARE(attempt.error().code, code);
        QVERIFY2(attempt.error().message.contains(message), qPrintable(attempt.error().message));
        QCOMPARE(fake.count("/token"), tokenRequests);
        QCOMPARE(fake.count("/me"), userinfoRequests);
        QVERIFY(attempt.tokens().accessToken.isEmpty()); // nothing kept from a failed attempt
        QVERIFY(!attempt.error().message.contains(QStringLiteral("c0de")));
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
