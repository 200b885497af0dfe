#include "wellformed.h"

#include <QHostAddress>
#include <QRegularExpression>

namespace Signet {

bool isLoopbackHost(const QString &host)
{
    if (host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

bool isLoopbackUrl(const QUrl &url)
{
    return isLoopbackHost(url.host());
}

bool isGuid(const QString &text)
{
    static const QRegularExpression guid(QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"));
    return guid.match(text).hasMatch();
}

QString printableText(const QString &text)
{
    static const QRegularExpression controls(QStringLiteral("[\\x00-\\x1f\\x7f]+"));
    QString clean = text.left(1000);
    clean.replace(controls, QStringLiteral(" "));
    clean = clean.simplified();
    if (clean.size() > 200)
        clean = clean.left(200) + QStringLiteral("…");
    return clean;
}

} // namespace Signet
