#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace Signet {

// The domain of an e-mail address and allowed_domains matching, done strictly: the web packages
// Signet descends from matched by substring, so "mail.com" let in "gmail.com".
//
// - An address has exactly one '@' and a non-empty local part: "a@evil.com@corp.com" is refused,
//   not read as either domain.
// - The domain is compared in its ASCII (IDNA/punycode) form, case-insensitively and exactly:
//   "corp.com.evil.com" and "sub.corp.com" are not "corp.com".
// - A domain must already be in its canonical form: a trailing dot, empty labels, or characters
//   that IDNA would map to others (fullwidth "ｃorp.com", compatibility forms) are refused rather
//   than normalised into something that matches; look-alikes from other scripts ("cоrp.com" with
//   a Cyrillic о) have their own ASCII form and so never equal the real one.
class EmailDomain
{
public:
    // The ASCII form of an address's domain, or nullopt with `problem` saying why it is refused.
    static std::optional<QString> ofAddress(const QString &address, QString *problem = nullptr);
    // The ASCII form of a domain an administrator wrote (allowed_domains), or nullopt.
    static std::optional<QString> normalize(const QString &domain, QString *problem = nullptr);
    // Whether `address` is in one of `allowedDomains` (normalized forms, or "*").
    static bool isAllowed(const QString &address, const QStringList &allowedDomains, QString *problem = nullptr);
};

} // namespace Signet
