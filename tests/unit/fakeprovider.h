#pragma once

// A small misbehaving OpenID provider for tests, in-process: serves fixed answers per path, records
// every request, and signs ID tokens with keys made at run time. Used by tst_signinattempt and
// tst_renewal.

#include "config/config.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <chrono>

#include "testkeys.h"

namespace {

using namespace std::chrono_literals;

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
    static constexpr int Trickle = -1;                // as a status: answer one byte at a time, forever
    QList<Request> requests;

    FakeProvider()
    {
        publishKeys({key});
        m_server.listen(QHostAddress::LocalHost, 0);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
            }
        });
    }
    QString issuer() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }

    // The provider's signing key and what it publishes at /jwks.
    // Made once per run: RSA key generation costs a noticeable fraction of a second.
    static const TestKeys::TestKey &sharedKey()
    {
        static const TestKeys::TestKey k = TestKeys::TestKey::rsa(QStringLiteral("key-1"));
        return k;
    }
    TestKeys::TestKey key = sharedKey();
    void publishKeys(const QList<TestKeys::TestKey> &keys)
    {
        QJsonArray list;
        for (const auto &k : keys)
            list.append(k.jwk());
        answers["/jwks"] = {200, QJsonDocument(QJsonObject{{QStringLiteral("keys"), list}}).toJson(QJsonDocument::Compact)};
    }
    // A correctly signed ID token for this attempt, then `changes` applied (null removes a claim).
    QByteArray idToken(const QString &nonce, const QJsonObject &changes = {}, const QJsonObject &header = {}, const TestKeys::TestKey *signer = nullptr) const
    {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        QJsonObject claims{{QStringLiteral("iss"), issuer()}, {QStringLiteral("aud"), QStringLiteral("client-1")}, {QStringLiteral("sub"), QStringLiteral("u-1")},
                           {QStringLiteral("exp"), now + 300}, {QStringLiteral("iat"), now}, {QStringLiteral("nonce"), nonce},
                           {QStringLiteral("email"), QStringLiteral("from-id-token@corp.example")}, {QStringLiteral("email_verified"), true}};
        for (auto it = changes.constBegin(); it != changes.constEnd(); ++it) {
            if (it.value().isNull())
                claims.remove(it.key());
            else
                claims.insert(it.key(), it.value());
        }
        return (signer ? *signer : key).token(header.value(QLatin1String("alg")).toString(QStringLiteral("RS256")), claims, header);
    }
    QByteArray discovery(const QString &issuerOverride = {}, const QString &authEndpoint = {}) const
    {
        const QString iss = issuerOverride.isEmpty() ? issuer() : issuerOverride;
        return QJsonDocument(QJsonObject{{QStringLiteral("issuer"), iss},
                                         {QStringLiteral("authorization_endpoint"), authEndpoint.isEmpty() ? issuer() + QStringLiteral("/auth") : authEndpoint},
                                         {QStringLiteral("token_endpoint"), issuer() + QStringLiteral("/token")},
                                         {QStringLiteral("userinfo_endpoint"), issuer() + QStringLiteral("/me")},
                                         {QStringLiteral("jwks_uri"), issuer() + QStringLiteral("/jwks")},
                                         {QStringLiteral("id_token_signing_alg_values_supported"), QJsonArray{QStringLiteral("RS256"), QStringLiteral("ES256")}},
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
        if (status == Trickle) {
            // Headers, then a byte every 200 ms: never idle long enough for an inactivity timeout.
            socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{");
            auto *timer = new QTimer(socket);
            connect(timer, &QTimer::timeout, socket, [socket] { socket->write(" "); });
            timer->start(200);
            return;
        }
        if (status >= 300 && status < 400) {
            // A redirect: the body names where to.
            socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nLocation: " + body + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            socket->disconnectFromHost();
            return;
        }
        socket->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
};

Signet::ProviderConfig providerFor(const FakeProvider &fake)
{
    Signet::ProviderConfig p;
    p.id = QStringLiteral("fake");
    p.type = QStringLiteral("oidc");
    p.displayName = QStringLiteral("Fake");
    p.issuer = QUrl(fake.issuer());
    p.clientId = QStringLiteral("client-1");
    p.scopes = {QStringLiteral("openid"), QStringLiteral("email")};
    p.httpTimeout = 2s;
    return p;
}

} // namespace
