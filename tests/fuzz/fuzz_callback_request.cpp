// Fuzzes CallbackRequest::parse, the parser for the browser's redirect to the loopback listener.
//
// Input: one control byte, then the bytes the "browser" sends.
//   control & 0x0f  0: the listener receives everything in one read;
//                   n: in reads of 2^(n-1) bytes (1, 2, 4, ... 16384), as TCP may split them;
//                   only the last 256 reads are that small, the first read takes the rest.
//   control & 0x20  pad the header block so that it ends near MaxHeaderBytes: the next byte picks
//                   where (MaxHeaderBytes - 32 + byte % 48), and an "X-Pad: aaa..." header after the
//                   request line makes up the difference. Reaches the size limits without 8 KiB inputs.
// The seeds start with '@' (one read, no padding) and are otherwise plain HTTP requests.
//
// Besides "never crashes", it checks what the listener and the error page rely on:
// - the listener parses the growing buffer after every read and acts on the first answer that is not
//   Incomplete: that answer must be the same as for the whole request, however it was split;
// - Ok means unique parameter names, and failures carry no parameters;
// - the reason never contains anything from the query (it is logged): parsing the same request with the
//   letters of the query's names and values replaced (same structure, same length) must give the same
//   result and reason, and the same parameters with the same replacement.

#include "fuzzsupport.h"

#include "auth/callbackrequest.h"

#include <QSet>

#include <cctype>
#include <cstddef>
#include <cstdint>

using Signet::CallbackRequest;
using Result = CallbackRequest::Result;

namespace {

const QByteArray ExpectedPath = QByteArrayLiteral("/callback/demo");
const QByteArray ExpectedHost = QByteArrayLiteral("127.0.0.1:4711");
// LoopbackListener never reads more than this from one connection.
constexpr qsizetype ListenerReadLimit = CallbackRequest::MaxHeaderBytes + 4;

QString describe(const CallbackRequest &r)
{
    static const char *const names[] = {"Incomplete", "Ok", "BadRequest", "NotFound", "MethodNotAllowed", "HeadersTooLarge", "WrongHost"};
    const int index = int(r.result);
    QString text = QString::fromLatin1(index >= 0 && index < 7 ? names[index] : "?");
    text += QStringLiteral(" reason='%1' parameters=%2").arg(r.reason).arg(r.parameters.size());
    return text;
}

bool isAsciiLetter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char rot13(char c)
{
    if (c >= 'a' && c <= 'z')
        return char('a' + (c - 'a' + 13) % 26);
    if (c >= 'A' && c <= 'Z')
        return char('A' + (c - 'A' + 13) % 26);
    return c;
}

QString rot13(const QString &text)
{
    QString out = text;
    for (QChar &c : out) {
        if (c.unicode() < 0x80)
            c = QLatin1Char(rot13(char(c.unicode())));
    }
    return out;
}

// One name or value as it appears in the query, rewritten so that it decodes (the parser's way: '+'
// to space, then percent-decoding; a '%' not followed by two hex digits makes the request
// malformed) to the same bytes with every ASCII letter rot13'ed. Same length, no new '&' or '=',
// and a malformed escape stays exactly as malformed.
QByteArray rot13Encoded(const QByteArray &part)
{
    QByteArray out = part;
    const qsizetype length = part.size();
    for (qsizetype i = 0; i < length; ++i) {
        if (part.at(i) == '%' && (i + 2 >= length || !isxdigit(uchar(part.at(i + 1))) || !isxdigit(uchar(part.at(i + 2))))) {
            i += 2; // malformed: left as it is
        } else if (part.at(i) == '%') {
            QByteArray escape = part.mid(i, 3);
            escape.replace('+', ' ');
            const QByteArray decoded = QByteArray::fromPercentEncoding(escape);
            if (decoded.size() == 1 && isAsciiLetter(decoded.at(0)))
                out.replace(i + 1, 2, QByteArray(1, rot13(decoded.at(0))).toHex().toUpper());
            i += 2;
        } else {
            out[i] = rot13(part.at(i));
        }
    }
    return out;
}

// The same request with the letters of the query rot13'ed, or empty if the parser never gets as
// far as reading a query. Finds the query exactly the way the parser does.
QByteArray withQueryRot13(const QByteArray &received)
{
    const qsizetype end = received.indexOf("\r\n\r\n");
    if (end < 0)
        return {};
    qsizetype lineEnd = received.indexOf('\n');
    if (lineEnd < 0 || lineEnd > end)
        lineEnd = end;
    // QByteArray::trimmed() removes these.
    const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
    qsizetype start = 0;
    while (start < lineEnd && isSpace(received.at(start)))
        ++start;
    const qsizetype methodEnd = received.indexOf(' ', start);
    if (methodEnd < 0 || methodEnd >= lineEnd)
        return {};
    const qsizetype targetStart = methodEnd + 1;
    const qsizetype targetEnd = received.indexOf(' ', targetStart);
    if (targetEnd < 0 || targetEnd >= lineEnd)
        return {};
    const qsizetype question = received.indexOf('?', targetStart);
    if (question < 0 || question >= targetEnd)
        return {};

    const QByteArray query = received.mid(question + 1, targetEnd - question - 1);
    QList<QByteArray> pairs;
    for (const QByteArray &pair : query.split('&')) {
        const qsizetype equals = pair.indexOf('=');
        if (equals < 0)
            pairs << rot13Encoded(pair);
        else
            pairs << rot13Encoded(pair.left(equals)) + '=' + rot13Encoded(pair.mid(equals + 1));
    }
    QByteArray changed = received;
    changed.replace(question + 1, query.size(), pairs.join('&'));
    return changed;
}

void checkResult(const QByteArray &received, const CallbackRequest &r)
{
    // Called only when a check fails: FUZZ_CHECK evaluates its message lazily.
    const auto what = [&] { return describe(r) + QStringLiteral(" for ") + SignetFuzz::printable(received); };
    const bool hasEnd = received.contains("\r\n\r\n");
    switch (r.result) {
    case Result::Incomplete:
        // The listener reads no more than ListenerReadLimit bytes: "read more" must still be possible.
        FUZZ_CHECK(!hasEnd && received.size() < ListenerReadLimit, what());
        FUZZ_CHECK(r.reason.isEmpty(), what());
        break;
    case Result::Ok: {
        FUZZ_CHECK(hasEnd && r.reason.isEmpty(), what());
        FUZZ_CHECK(received.contains(ExpectedPath) && received.toLower().contains(ExpectedHost), what());
        QSet<QString> names;
        for (const auto &parameter : r.parameters) {
            FUZZ_CHECK(!names.contains(parameter.first), QStringLiteral("duplicated '%1': ").arg(parameter.first) + what());
            names.insert(parameter.first);
            FUZZ_CHECK(r.has(parameter.first) && r.value(parameter.first) == parameter.second, what());
        }
        break;
    }
    case Result::HeadersTooLarge:
        FUZZ_CHECK(received.size() > CallbackRequest::MaxHeaderBytes, what());
        Q_FALLTHROUGH();
    case Result::BadRequest:
    case Result::NotFound:
    case Result::MethodNotAllowed:
    case Result::WrongHost:
        FUZZ_CHECK(!r.reason.isEmpty() && r.parameters.isEmpty(), what());
        break;
    default:
        FUZZ_CHECK(false, what());
    }
}

bool sameResult(const CallbackRequest &a, const CallbackRequest &b)
{
    return a.result == b.result && a.reason == b.reason && a.parameters == b.parameters;
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
    QByteArray request(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));

    if ((control & 0x20) && !request.isEmpty()) {
        const qsizetype target = CallbackRequest::MaxHeaderBytes - 32 + static_cast<uint8_t>(request.at(0)) % 48;
        request.remove(0, 1);
        qsizetype end = request.indexOf("\r\n\r\n");
        if (end < 0)
            end = request.size();
        const qsizetype padLength = target - end; // the whole "X-Pad: ...\r\n" line
        const qsizetype lineEnd = request.indexOf('\n');
        if (padLength >= 9 && lineEnd >= 0)
            request.insert(lineEnd + 1, "X-Pad: " + QByteArray(padLength - 9, 'a') + "\r\n");
    }

    const QByteArray received = request.left(ListenerReadLimit);
    const CallbackRequest whole = CallbackRequest::parse(received, ExpectedPath, ExpectedHost);
    checkResult(received, whole);

    // The listener's way: parse after every read, stop at the first answer.
    const int readShift = control & 0x0f;
    if (readShift != 0) {
        const qsizetype readSize = qsizetype(1) << (readShift - 1);
        // At most the last MaxReads reads are small; whatever comes before arrives in the first read
        // (a segmentation TCP may produce as well). Keeps 1-byte reads of 8 KiB requests cheap.
        constexpr qsizetype MaxReads = 256;
        for (qsizetype length = qMax(readSize, received.size() - MaxReads * readSize); length < received.size(); length += readSize) {
            // Without a copy: the listener's buffer grows, and this loop must stay cheap for 1-byte reads.
            const QByteArray prefix = QByteArray::fromRawData(received.constData(), length);
            const CallbackRequest early = CallbackRequest::parse(prefix, ExpectedPath, ExpectedHost);
            checkResult(prefix, early);
            if (early.result == Result::Incomplete)
                continue;
            FUZZ_CHECK(sameResult(early, whole),
                       QStringLiteral("after %1 of %2 bytes: %3, but the whole request gives %4; request: %5")
                           .arg(length).arg(received.size()).arg(describe(early), describe(whole), SignetFuzz::printable(received)));
            break;
        }
    }

    // Nothing from the query may reach the reason.
    const QByteArray changed = withQueryRot13(received);
    if (!changed.isEmpty()) {
        const CallbackRequest other = CallbackRequest::parse(changed, ExpectedPath, ExpectedHost);
        QList<QPair<QString, QString>> expected;
        for (const auto &parameter : whole.parameters)
            expected.append({rot13(parameter.first), rot13(parameter.second)});
        FUZZ_CHECK(other.result == whole.result && other.reason == whole.reason && other.parameters == expected,
                   QStringLiteral("the query's content changes the outcome: %1 vs %2; requests: %3 / %4")
                       .arg(describe(whole), describe(other), SignetFuzz::printable(received), SignetFuzz::printable(changed)));
    }
    return 0;
}
