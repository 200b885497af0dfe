// Fuzzes the agent's side of the IPC protocol (docs/ipc.md): framing and request checks in
// IpcConnection (and its fast reader for common requests, RequestLine, whose answers must not differ
// from the full JSON reader's), on one end of a real socketpair. The other end is ours: we write the
// input to it and read back what the agent answers.
//
// Input: one control byte, then the bytes a client sends.
//   control & 0x0f  0: everything in one write; n: writes of 2^(n-1) bytes (at most 256 writes),
//                   each read by the connection before the next, so lines arrive in pieces.
//   control & 0x20  prefix the first line with spaces (which the agent trims) so that it is about
//                   MaxRequestBytes long: the next byte picks the length (MaxRequestBytes - 32 + byte % 48).
//                   Reaches the frame cap without 64 KiB inputs.
// Seeds start with '@' (one write, no padding) and are otherwise one JSON request per line.
//
// Every request the connection accepts is answered like the agent would, with a result echoing its
// method and params. Then the answers must be, in order and nothing else: one per non-empty line,
// a result for each well-formed request (same id, method, params), bad_request for every other line
// (with the request's id when it had a valid one, else null), and frame_too_large as the last answer
// when a line outgrows MaxRequestBytes, after which the connection is closed.

#include "fuzzsupport.h"

#include "ipc/ipcserver.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>

#include <functional>

#include <cerrno>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using Signet::IpcConnection;

namespace {

struct Answer {
    QJsonValue id;
    QString code; // empty for a result
    QString method;
    QJsonObject params;
};

QString describe(const Answer &a)
{
    const QByteArray id = QJsonDocument(QJsonArray{a.id}).toJson(QJsonDocument::Compact);
    if (a.code.isEmpty())
        return QStringLiteral("result id=%1 method=%2").arg(QString::fromUtf8(id), a.method);
    return QStringLiteral("error id=%1 code=%2").arg(QString::fromUtf8(id), a.code);
}

// What docs/ipc.md says the agent answers to one non-empty line.
Answer expectedAnswer(const QByteArray &line)
{
    const QJsonDocument document = QJsonDocument::fromJson(line);
    if (!document.isObject())
        return {QJsonValue::Null, QStringLiteral("bad_request"), {}, {}};
    const QJsonObject message = document.object();
    const QJsonValue id = message.value(QLatin1String("id"));
    // docs/ipc.md: an integer (exact in a double, |id| <= 2^53) or a string.
    const bool integerId = id.isDouble() && std::trunc(id.toDouble()) == id.toDouble() && std::fabs(id.toDouble()) <= 9007199254740992.0;
    if (!integerId && !id.isString())
        return {QJsonValue::Null, QStringLiteral("bad_request"), {}, {}};
    const QJsonValue method = message.value(QLatin1String("method"));
    if (!method.isString() || method.toString().isEmpty())
        return {id, QStringLiteral("bad_request"), {}, {}};
    const QJsonValue params = message.value(QLatin1String("params"));
    if (!params.isUndefined() && !params.isNull() && !params.isObject())
        return {id, QStringLiteral("bad_request"), {}, {}};
    return {id, {}, method.toString(), params.toObject()};
}

// The answers to a whole stream, and whether it ends with a frame over the cap.
QList<Answer> expectedAnswers(const QByteArray &stream, bool *tooLarge)
{
    QList<Answer> answers;
    *tooLarge = false;
    qsizetype position = 0;
    while (true) {
        const qsizetype newline = stream.indexOf('\n', position);
        const qsizetype length = (newline < 0 ? stream.size() : newline) - position;
        // A message is at most MaxRequestBytes including its newline; a line that reaches the cap
        // without one is refused as soon as the agent has read that much.
        if (length >= IpcConnection::MaxRequestBytes) {
            *tooLarge = true;
            answers.append({QJsonValue::Null, QStringLiteral("frame_too_large"), {}, {}});
            break;
        }
        if (newline < 0)
            break;
        const QByteArray line = stream.mid(position, length).trimmed();
        position = newline + 1;
        if (!line.isEmpty())
            answers.append(expectedAnswer(line));
    }
    return answers;
}

Answer parseAnswer(const QByteArray &line, const std::function<QString()> &context)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    FUZZ_CHECK(document.isObject(), QStringLiteral("not a JSON object (%1): %2").arg(parseError.errorString(), SignetFuzz::printable(line)) + context());
    FUZZ_CHECK(line.size() < IpcConnection::MaxResponseBytes, context());
    const QJsonObject message = document.object();
    FUZZ_CHECK(message.contains(QLatin1String("id")), SignetFuzz::printable(line) + context());
    FUZZ_CHECK(message.contains(QLatin1String("result")) != message.contains(QLatin1String("error")), SignetFuzz::printable(line) + context());
    Answer answer;
    answer.id = message.value(QLatin1String("id"));
    if (message.contains(QLatin1String("result"))) {
        const QJsonObject result = message.value(QLatin1String("result")).toObject();
        answer.method = result.value(QLatin1String("method")).toString();
        answer.params = result.value(QLatin1String("params")).toObject();
    } else {
        const QJsonObject error = message.value(QLatin1String("error")).toObject();
        answer.code = error.value(QLatin1String("code")).toString();
        FUZZ_CHECK(!answer.code.isEmpty(), SignetFuzz::printable(line) + context());
        FUZZ_CHECK(!error.value(QLatin1String("message")).toString().isEmpty(), SignetFuzz::printable(line) + context());
    }
    return answer;
}

bool sameAnswer(const Answer &a, const Answer &b)
{
    return a.id == b.id && a.code == b.code && a.method == b.method && a.params == b.params;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    SignetFuzz::initialize(argc, argv);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const uint8_t control = data[0];
    QByteArray stream(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    if ((control & 0x20) && !stream.isEmpty()) {
        const qsizetype target = IpcConnection::MaxRequestBytes - 32 + static_cast<uint8_t>(stream.at(0)) % 48;
        stream.remove(0, 1);
        const qsizetype newline = stream.indexOf('\n');
        const qsizetype firstLine = newline < 0 ? stream.size() : newline;
        if (firstLine < target)
            stream.prepend(QByteArray(target - firstLine, ' '));
    }

    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        SignetFuzz::fail("socketpair", __FILE__, __LINE__, QString::fromLocal8Bit(strerror(errno)));
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    const int client = fds[1];

    const int agentEnd = fds[0];
    QPointer<IpcConnection> connection = new IpcConnection(agentEnd, nullptr);
    IpcConnection *agent = connection;
    QObject::connect(agent, &IpcConnection::requestReceived, agent, [agent](const QJsonValue &id, const QString &method, const QJsonObject &params) {
        agent->sendResult(id, {{QStringLiteral("method"), method}, {QStringLiteral("params"), params}});
    });
    // No event loop here: the connection is driven by hand, as its notifiers would.
    const auto open = [&] { return connection && connection->isOpen(); };

    QByteArray output;
    bool peerClosed = false;
    // Let the connection read what we wrote and collect what it wrote back, until nothing moves.
    const auto exchange = [&] {
        static char buffer[64 * 1024];
        for (bool progress = true; progress;) {
            progress = false;
            if (open()) {
                pollfd readable{agentEnd, POLLIN, 0};
                if (::poll(&readable, 1, 0) > 0)
                    progress = connection->readAvailable();
            }
            if (open())
                connection->writePending();
            const ssize_t received = ::read(client, buffer, sizeof buffer);
            if (received > 0) {
                output.append(buffer, received);
                progress = true;
            } else if (received == 0) {
                peerClosed = true;
            }
        }
    };

    const int writeShift = control & 0x0f;
    qsizetype writeSize = writeShift == 0 ? stream.size() : qsizetype(1) << (writeShift - 1);
    writeSize = qMax(writeSize, (stream.size() + 255) / 256);
    for (qsizetype start = 0; start < stream.size() && !peerClosed;) {
        if (!open())
            break;
        const qsizetype chunk = qMin(writeSize, stream.size() - start);
        qsizetype written = 0;
        while (written < chunk) {
            const ssize_t n = ::send(client, stream.constData() + start + written, size_t(chunk - written), MSG_NOSIGNAL);
            if (n > 0) {
                written += n;
            } else if (n < 0 && errno == EAGAIN) {
                exchange(); // the socket buffer is full: let the agent read
            } else {
                peerClosed = true;
                break;
            }
            if (!open())
                break;
        }
        start += written;
        exchange();
    }
    exchange();

    const bool stillConnected = open();
    delete connection.data(); // and its descriptor with it; drops its pending deleteLater too
    ::close(client);

    bool tooLarge = false;
    const QList<Answer> expected = expectedAnswers(stream, &tooLarge);
    // Called only when a check fails: FUZZ_CHECK evaluates its message lazily.
    const auto context = [&] { return QStringLiteral(" (input: %1)").arg(SignetFuzz::printable(stream)); };

    FUZZ_CHECK(output.isEmpty() || output.endsWith('\n'), SignetFuzz::printable(output) + context());
    QList<QByteArray> lines = output.split('\n');
    lines.removeLast();
    QList<Answer> answers;
    for (const QByteArray &line : std::as_const(lines))
        answers.append(parseAnswer(line, context));

    const auto list = [](const QList<Answer> &all) {
        QStringList texts;
        for (const auto &a : all)
            texts << describe(a);
        return texts.join(QStringLiteral("; "));
    };
    FUZZ_CHECK(answers.size() == expected.size(),
               QStringLiteral("%1 answers, expected %2:\n     got      %3\n     expected %4").arg(answers.size()).arg(expected.size()).arg(list(answers), list(expected)) + context());
    for (qsizetype i = 0; i < answers.size(); ++i) {
        FUZZ_CHECK(sameAnswer(answers.at(i), expected.at(i)),
                   QStringLiteral("answer %1 is %2, expected %3").arg(i).arg(describe(answers.at(i)), describe(expected.at(i))) + context());
    }
    FUZZ_CHECK(stillConnected != tooLarge, QStringLiteral("connected=%1 after a frame over the cap=%2").arg(stillConnected).arg(tooLarge) + context());
    return 0;
}
