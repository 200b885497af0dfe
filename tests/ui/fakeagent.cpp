#include "fakeagent.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>

FakeAgent::FakeAgent(QObject *parent)
    : QObject(parent)
    , m_server(new QLocalServer(this))
{
    connect(m_server, &QLocalServer::newConnection, this, &FakeAgent::onNewConnection);
}

FakeAgent::~FakeAgent()
{
    close();
}

bool FakeAgent::listen(const QString &socketPath)
{
    m_socketPath = socketPath;
    QLocalServer::removeServer(socketPath);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    return m_server->listen(socketPath);
}

void FakeAgent::close()
{
    m_server->close();
    for (QLocalSocket *socket : connections()) {
        socket->disconnect(this);
        socket->abort();
        delete socket;
    }
    m_buffers.clear();
}

QList<QLocalSocket *> FakeAgent::connections() const
{
    return findChildren<QLocalSocket *>(QString(), Qt::FindDirectChildrenOnly);
}

QLocalSocket *FakeAgent::lastConnection() const
{
    const auto all = connections();
    return all.isEmpty() ? nullptr : all.constLast();
}

void FakeAgent::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        // nextPendingConnection() parents the socket to the server; the agent owns its connections.
        socket->setParent(this);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QLocalSocket::disconnected, this, [this, socket] {
            m_buffers.remove(socket);
            socket->deleteLater();
            Q_EMIT clientDisconnected();
        });
        Q_EMIT clientConnected();
    }
}

void FakeAgent::onReadyRead(QLocalSocket *socket)
{
    m_buffers[socket] += socket->readAll();
    for (;;) {
        // Looked up each time: a handler may close connections.
        const auto buffer = m_buffers.find(socket);
        if (buffer == m_buffers.end())
            return;
        const qsizetype newline = buffer->indexOf('\n');
        if (newline < 0)
            return;
        const QByteArray line = buffer->left(newline);
        buffer->remove(0, newline + 1);
        const QJsonObject message = QJsonDocument::fromJson(line).object();
        Request request{socket, message.value(QLatin1String("id")), message.value(QLatin1String("method")).toString(),
                        message.value(QLatin1String("params")).toObject()};
        requests.append(request);
        Q_EMIT requestReceived(request.method);
        if (!request.connection)
            return;
        if (handler && handler(request))
            continue;
        if (autoRespond && request.connection)
            answer(request);
    }
}

void FakeAgent::answer(const Request &request)
{
    QLocalSocket *to = request.connection;
    if (request.method == QLatin1String("hello")) {
        sendResult(request.id, {{QStringLiteral("protocol"), 1}, {QStringLiteral("agent"), QStringLiteral("signet-agent")},
                                {QStringLiteral("version"), QStringLiteral("0.0.0-fake")}, {QStringLiteral("capabilities"), capabilities}}, to);
    } else if (request.method == QLatin1String("providers")) {
        QJsonObject answer = providersExtra;
        answer.insert(QStringLiteral("providers"), providers);
        sendResult(request.id, answer, to);
    } else if (request.method == QLatin1String("avatar")) {
        if (identity.isEmpty())
            sendError(request.id, QStringLiteral("not_signed_in"), QStringLiteral("Nobody is signed in."), to);
        else if (avatar.isEmpty())
            sendResult(request.id, {{QStringLiteral("content_type"), QJsonValue::Null}, {QStringLiteral("data"), QJsonValue::Null}}, to);
        else
            sendResult(request.id, avatar, to);
    } else if (request.method == QLatin1String("apps")) {
        const QString revoke = request.params.value(QLatin1String("revoke")).toString();
        if (revoke.isEmpty()) {
            sendResult(request.id, apps, to);
            return;
        }
        QJsonArray list = apps.value(QLatin1String("apps")).toArray();
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QJsonObject app = list.at(i).toObject();
            if (app.value(QLatin1String("id")).toString() != revoke)
                continue;
            if (!app.value(QLatin1String("revocable")).toBool()) {
                sendError(request.id, QStringLiteral("not_permitted"), QStringLiteral("This grant comes from IT policy."), to);
                return;
            }
            list.removeAt(i);
            apps.insert(QStringLiteral("apps"), list);
            sendEvent(QStringLiteral("apps-changed"), apps, QJsonValue::Undefined, to);
            sendResult(request.id, {{QStringLiteral("revoked"), true}}, to);
            return;
        }
        sendError(request.id, QStringLiteral("not_found"), QStringLiteral("No such app."), to);
    } else if (request.method == QLatin1String("consent")) {
        sendResult(request.id, {{QStringLiteral("decision"), request.params.value(QLatin1String("allow")).toBool() ? QStringLiteral("allowed") : QStringLiteral("denied")}}, to);
    } else if (request.method == QLatin1String("status")) {
        const bool signedIn = !identity.isEmpty();
        sendResult(request.id, {{QStringLiteral("state"), signedIn ? QStringLiteral("signed_in") : runningSignIn.isEmpty() ? QStringLiteral("signed_out") : QStringLiteral("signing_in")},
                                {QStringLiteral("signin"), runningSignIn.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(runningSignIn)},
                                {QStringLiteral("attention"), attention.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(attention)},
                                {QStringLiteral("config"), QJsonObject{{QStringLiteral("ok"), true}, {QStringLiteral("problems"), QJsonArray()}}}}, to);
    } else if (request.method == QLatin1String("whoami")) {
        if (identity.isEmpty())
            sendError(request.id, QStringLiteral("not_signed_in"), QStringLiteral("Nobody is signed in."), to);
        else
            sendResult(request.id, {{QStringLiteral("identity"), identity}}, to);
    } else if (request.method == QLatin1String("subscribe")) {
        sendResult(request.id, {{QStringLiteral("events"), QJsonArray{QStringLiteral("signed-in"), QStringLiteral("signed-out")}}}, to);
    } else if (request.method == QLatin1String("cancel")) {
        sendResult(request.id, {{QStringLiteral("cancelled"), true}}, to);
    }
    // signin and signout are left to the test.
}

void FakeAgent::sendRaw(const QByteArray &bytes, QLocalSocket *to)
{
    if (!to)
        to = lastConnection();
    if (!to)
        return;
    to->write(bytes);
    to->flush();
}

void FakeAgent::send(const QJsonObject &message, QLocalSocket *to)
{
    sendRaw(QJsonDocument(message).toJson(QJsonDocument::Compact) + '\n', to);
}

void FakeAgent::sendResult(const QJsonValue &id, const QJsonObject &result, QLocalSocket *to)
{
    send({{QStringLiteral("id"), id}, {QStringLiteral("result"), result}}, to);
}

void FakeAgent::sendError(const QJsonValue &id, const QString &code, const QString &message, QLocalSocket *to)
{
    send({{QStringLiteral("id"), id},
          {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}}, to);
}

void FakeAgent::sendEvent(const QString &event, const QJsonObject &data, const QJsonValue &id, QLocalSocket *to)
{
    QJsonObject message{{QStringLiteral("event"), event}, {QStringLiteral("data"), data}};
    if (!id.isUndefined())
        message.insert(QStringLiteral("id"), id);
    send(message, to);
}

FakeAgent::Request FakeAgent::lastRequest(const QString &method) const
{
    for (auto it = requests.crbegin(); it != requests.crend(); ++it) {
        if (it->method == method)
            return *it;
    }
    return {};
}

int FakeAgent::count(const QString &method) const
{
    return int(std::count_if(requests.cbegin(), requests.cend(), [&method](const Request &request) { return request.method == method; }));
}

QJsonObject FakeAgent::provider(const QString &id, const QString &displayName, bool available, const QString &problem)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("type"), QStringLiteral("oidc")},
            {QStringLiteral("display_name"), displayName},
            {QStringLiteral("issuer"), QStringLiteral("http://127.0.0.1:4000")},
            {QStringLiteral("available"), available},
            {QStringLiteral("problem"), problem.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(problem)}};
}

QJsonObject FakeAgent::identityFor(const QString &provider, const QString &name, const QString &email, bool emailVerified,
                                   qint64 expiresIn)
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    return {{QStringLiteral("provider"), provider},
            {QStringLiteral("issuer"), QStringLiteral("http://127.0.0.1:4000")},
            {QStringLiteral("subject"), name.toLower()},
            {QStringLiteral("email"), email},
            {QStringLiteral("email_verified"), emailVerified},
            {QStringLiteral("name"), name},
            {QStringLiteral("picture"), QJsonValue::Null},
            {QStringLiteral("signed_in_at"), now.toString(Qt::ISODate)},
            {QStringLiteral("expires_at"), now.addSecs(expiresIn).toString(Qt::ISODate)},
            {QStringLiteral("expires_in"), expiresIn}};
}

QString FakeAgent::freshSocketPath()
{
    static int counter = 0;
    return QDir(qEnvironmentVariable("XDG_RUNTIME_DIR")).filePath(QStringLiteral("fake-agent-%1.sock").arg(++counter));
}
