#include "google.h"

#include "policy/emaildomain.h"

#include <QCoreApplication>

namespace Signet {

QStringList GoogleRules::alternativeIssuers(const QString &tokenIssuer) const
{
    // "accounts.google.com is also returned for legacy implementations": the same issuer
    // without its scheme (http only ever for a loopback stand-in: the configuration allows no other).
    for (const QLatin1String scheme : {QLatin1String("https://"), QLatin1String("http://")}) {
        if (tokenIssuer.startsWith(scheme))
            return {tokenIssuer.mid(scheme.size())};
    }
    return {};
}

void GoogleRules::addAuthorizationParameters(QMultiMap<QString, QVariant> *parameters) const
{
    // A refresh token, so the session can be renewed without the browser.
    parameters->insert(QStringLiteral("access_type"), QStringLiteral("offline"));
    // Only a hint that preselects the Workspace account; buildIdentity() enforces it.
    if (!m_provider.hostedDomain.isEmpty())
        parameters->insert(QStringLiteral("hd"), m_provider.hostedDomain);
}

SignInError GoogleRules::buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const
{
    if (const SignInError error = ProviderRules::buildIdentity(claims, profiles, identity); error.isError())
        return error;

    // From the ID token only: userinfo is a second, weaker source for the same facts.
    const QString hd = claims.value(QLatin1String("hd")).toString();
    const QString hostedDomain = hd.isEmpty() ? QString() : EmailDomain::normalize(hd).value_or(QStringLiteral("<invalid>"));
    identity->hostedDomain = boundedText(hostedDomain, "hd");
    if (!m_provider.hostedDomain.isEmpty() && hostedDomain != m_provider.hostedDomain) {
        return {SignInError::Code::PolicyRefused,
                hostedDomain.isEmpty()
                    ? QCoreApplication::translate("Signet::GoogleRules", "This is a personal Google account; this desktop accepts only accounts of %1. Sign in with your %1 account.")
                          .arg(m_provider.hostedDomain)
                    : QCoreApplication::translate("Signet::GoogleRules", "This Google account belongs to %1; this desktop accepts only accounts of %2. Sign in with your %2 account.")
                          .arg(hostedDomain.left(253), m_provider.hostedDomain),
                QStringLiteral("hosted_domain")};
    }

    // Google's documentation shows email_verified both as a JSON boolean and as the string "true";
    // both come from Google's signature, so both count here (for Google only).
    const QJsonValue verified = claims.value(QLatin1String("email_verified"));
    const bool emailVerified = verified.toBool(false) || verified.toString() == QLatin1String("true");
    const QString email = boundedText(claims.value(QLatin1String("email")), "email");
    if (email.isEmpty() || !emailVerified) {
        return {SignInError::Code::PolicyRefused,
                QCoreApplication::translate("Signet::GoogleRules", "Google has not verified the e-mail address of this account. Verify it in your Google account settings, then sign in again."),
                QStringLiteral("email_verified")};
    }
    identity->email = email;
    identity->emailVerified = true;
    return {};
}

SignInError GoogleRules::recheck(const Identity &identity) const
{
    if (!m_provider.hostedDomain.isEmpty() && identity.hostedDomain != m_provider.hostedDomain) {
        return {SignInError::Code::PolicyRefused,
                QCoreApplication::translate("Signet::GoogleRules", "This desktop now accepts only accounts of %1.").arg(m_provider.hostedDomain),
                QStringLiteral("hosted_domain")};
    }
    return {};
}

} // namespace Signet
