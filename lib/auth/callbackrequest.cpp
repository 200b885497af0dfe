#include "callbackrequest.h"

#include <QSet>

#include <cctype>
#include <optional>
#include <QUrl>

namespace Signet {

QString CallbackRequest::value(const QString &name) const
{
    for (const auto &parameter : parameters) {
        if (parameter.first == name)
            return parameter.second;
    }
    return {};
}

bool CallbackRequest::has(const QString &name) const
{
    return std::any_of(parameters.cbegin(), parameters.cend(), [&](const auto &p) { return p.first == name; });
}

namespace {

CallbackRequest failed(CallbackRequest::Result result, const QString &reason)
{
    CallbackRequest request;
    request.result = result;
    request.reason = reason;
    return request;
}

// application/x-www-form-urlencoded decoding: '+' is a space, then percent-decoding. A '%' not
// followed by two hex digits makes the request malformed (nullopt) rather than guessed at.
std::optional<QString> formDecode(QByteArray part)
{
    for (qsizetype i = part.indexOf('%'); i >= 0; i = part.indexOf('%', i + 1)) {
        if (i + 2 >= part.size() || !isxdigit(uchar(part.at(i + 1))) || !isxdigit(uchar(part.at(i + 2))))
            return std::nullopt;
    }
    part.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(part));
}

} // namespace

CallbackRequest CallbackRequest::parse(const QByteArray &received, const QByteArray &expectedPath, const QByteArray &expectedHost)
{
    const qsizetype end = received.indexOf("\r\n\r\n");
    if (end < 0) {
        // + 3: a request whose blank line starts right at the cap may have arrived up to its
        // first bytes only; the answer must not depend on how TCP split it.
        if (received.size() > MaxHeaderBytes + 3)
            return failed(Result::HeadersTooLarge, QStringLiteral("request headers too large"));
        return failed(Result::Incomplete, {});
    }
    if (end > MaxHeaderBytes)
        return failed(Result::HeadersTooLarge, QStringLiteral("request headers too large"));

    const QList<QByteArray> lines = received.left(end).split('\n');
    // Request line: METHOD SP request-target SP HTTP-version (RFC 9112 §3).
    const QByteArray requestLine = lines.first().trimmed();
    const QList<QByteArray> parts = requestLine.split(' ');
    if (parts.size() != 3 || !parts.at(2).startsWith("HTTP/1."))
        return failed(Result::BadRequest, QStringLiteral("malformed request line"));
    if (parts.at(0) != "GET")
        return failed(Result::MethodNotAllowed, QStringLiteral("method not allowed"));

    const QByteArray &target = parts.at(1);
    const qsizetype question = target.indexOf('?');
    const QByteArray path = question < 0 ? target : target.left(question);
    const QByteArray query = question < 0 ? QByteArray() : target.mid(question + 1);
    if (path != expectedPath)
        return failed(Result::NotFound, QStringLiteral("not the callback path"));

    int hostHeaders = 0;
    QByteArray host;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).endsWith('\r') ? lines.at(i).chopped(1) : lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return failed(Result::BadRequest, QStringLiteral("malformed header line"));
        const QByteArray name = line.left(colon);
        // RFC 9110 §5.1: a field name is a token; RFC 9112 §5.1: no whitespace before the colon.
        static const QByteArray tokenChars = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        if (std::any_of(name.cbegin(), name.cend(), [](char c) { return !tokenChars.contains(c); }))
            return failed(Result::BadRequest, QStringLiteral("malformed header name"));
        if (name.toLower() == "host") {
            ++hostHeaders;
            host = line.mid(colon + 1).trimmed();
        }
    }
    // RFC 9112 §3.2: exactly one Host. Checking its value defeats DNS rebinding: a page on
    // evil.example resolved to 127.0.0.1 sends Host: evil.example.
    if (hostHeaders != 1)
        return failed(Result::BadRequest, QStringLiteral("missing or repeated Host header"));
    if (host.toLower() != expectedHost.toLower())
        return failed(Result::WrongHost, QStringLiteral("request for another host"));

    CallbackRequest request;
    QSet<QString> seen;
    for (const QByteArray &pair : query.split('&')) {
        if (pair.isEmpty())
            continue;
        const qsizetype equals = pair.indexOf('=');
        const auto name = formDecode(equals < 0 ? pair : pair.left(equals));
        const auto value = equals < 0 ? std::optional<QString>(QString()) : formDecode(pair.mid(equals + 1));
        if (!name || !value)
            return failed(Result::BadRequest, QStringLiteral("malformed percent-encoding in the query"));
        // RFC 6749 §3.1: parameters must not be included more than once. A second "state" or
        // "code" is an attack or a broken provider either way. (The reason names no parameter:
        // everything in the query is the sender's and must not reach the log.)
        if (seen.contains(*name))
            return failed(Result::BadRequest, QStringLiteral("a parameter appears more than once"));
        seen.insert(*name);
        request.parameters.append({*name, *value});
    }
    request.result = Result::Ok;
    return request;
}

} // namespace Signet
