#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace Signet {

// The parser for the one HTTP request the loopback listener expects: the browser's redirect
// carrying the authorization response (RFC 6749 §4.1.2, RFC 8252 §7.3). Pure, so it can be
// tested and fuzzed on bytes alone.
struct CallbackRequest {
    enum class Result {
        Incomplete,       // the header block has not fully arrived yet: read more
        Ok,               // GET on the exact path, right Host, parameters decoded
        BadRequest,       // malformed request line or headers, duplicated parameter
        NotFound,         // another path (e.g. /favicon.ico must not count as the callback)
        MethodNotAllowed, // anything but GET
        HeadersTooLarge,  // over MaxHeaderBytes before the end of the headers
        WrongHost,        // Host is not 127.0.0.1:<our port> (DNS rebinding)
    };

    Result result = Result::Incomplete;
    QList<QPair<QString, QString>> parameters; // decoded query parameters, in order
    QString reason;                             // for logs and the error page: never contains the query

    QString value(const QString &name) const;
    bool has(const QString &name) const;

    static constexpr int MaxHeaderBytes = 8 * 1024;

    static CallbackRequest parse(const QByteArray &received, const QByteArray &expectedPath, const QByteArray &expectedHost);
};

} // namespace Signet
