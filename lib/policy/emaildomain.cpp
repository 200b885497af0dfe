#include "emaildomain.h"

#include <QRegularExpression>
#include <QUrl>

namespace Signet {

std::optional<QString> EmailDomain::normalize(const QString &domain, QString *problem)
{
    auto refuse = [&](const QString &why) -> std::optional<QString> {
        if (problem)
            *problem = why;
        return std::nullopt;
    };
    if (domain.isEmpty())
        return refuse(QStringLiteral("the domain is empty"));
    if (domain.size() > 253)
        return refuse(QStringLiteral("the domain is longer than 253 characters"));
    if (domain.endsWith(QLatin1Char('.')))
        return refuse(QStringLiteral("the domain ends with a dot"));
    const QString lower = domain.toLower();
    const QByteArray ace = QUrl::toAce(lower);
    if (ace.isEmpty())
        return refuse(QStringLiteral("the domain is not a valid internationalised domain name"));
    // Canonical form only: what was written is its own ASCII form, or converting to ASCII and back
    // gives it back (Unicode for every TLD: Qt shows Unicode only for a list of TLDs otherwise).
    if (QString::fromLatin1(ace) != lower && QUrl::fromAce(ace, QUrl::IgnoreIDNWhitelist) != lower)
        return refuse(QStringLiteral("the domain contains characters that stand for others (look-alike or compatibility forms)"));
    static const QRegularExpression hostname(QStringLiteral("^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9-]{2,63}$"));
    const QString ascii = QString::fromLatin1(ace);
    if (!hostname.match(ascii).hasMatch())
        return refuse(QStringLiteral("'%1' is not a domain name").arg(ascii.left(80)));
    return ascii;
}

std::optional<QString> EmailDomain::ofAddress(const QString &address, QString *problem)
{
    auto refuse = [&](const QString &why) -> std::optional<QString> {
        if (problem)
            *problem = why;
        return std::nullopt;
    };
    if (address.count(QLatin1Char('@')) != 1)
        return refuse(QStringLiteral("the address does not contain exactly one '@'"));
    const qsizetype at = address.indexOf(QLatin1Char('@'));
    if (at == 0)
        return refuse(QStringLiteral("the address has nothing before the '@'"));
    for (const QChar c : address) {
        if (c.isSpace() || c.category() == QChar::Other_Control || c.category() == QChar::Other_Format)
            return refuse(QStringLiteral("the address contains spaces or invisible characters"));
    }
    return normalize(address.mid(at + 1), problem);
}

bool EmailDomain::isAllowed(const QString &address, const QStringList &allowedDomains, QString *problem)
{
    const auto domain = ofAddress(address, problem);
    if (!domain)
        return false;
    if (allowedDomains.contains(QStringLiteral("*")) || allowedDomains.contains(*domain))
        return true;
    if (problem)
        *problem = QStringLiteral("the domain %1 is not allowed").arg(QUrl::fromAce(domain->toLatin1(), QUrl::IgnoreIDNWhitelist));
    return false;
}

} // namespace Signet
