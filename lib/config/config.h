#pragma once

#include <QList>
#include <QSettings>
#include <QSslCertificate>
#include <QString>
#include <QStringList>
#include <QMap>
#include <QUrl>

#include <optional>

#include <chrono>

namespace Signet {

// One thing wrong (or suspicious) in a configuration file. Every problem names the file, the
// group and the key, so the person reading it knows exactly where to look.
struct ConfigProblem {
    enum class Severity { Warning, Error };
    Severity severity = Severity::Error;
    QString file;
    QString group; // "general" or "provider.<id>"; empty for problems with the file itself
    QString key;   // empty for problems with a whole group or file
    QString message;
    // An unknown key or group. The agent ignores it (a key of a newer version must not take sign-in
    // away), but --check-config fails on it: in a policy being rolled out it is almost always a typo.
    bool unknownName = false;

    // "FILE: [group] key: message"
    QString toString() const;
    bool isError() const { return severity == Severity::Error; }
};

// Who may sign in and with which roles (docs/policy.md). Addresses and domains are stored in their
// normalized forms.
struct PolicyConfig {
    // The domains (ASCII form) a verified address must be in, or "*". Absent: nobody is admitted,
    // and the refusal names this key.
    std::optional<QStringList> allowedDomains;
    bool autoRegister = true;
    QStringList preregistered; // verified addresses (lower case) or "<provider-id>:<account>"
    QStringList staff;         // addresses (lower case) or "*": the role "staff" at registration
    QStringList admins;        // the role "admin" at registration
    bool alwaysUpdate = false; // re-apply staff and admins at every sign-in
    // Signet role -> sources ("role:<app role>", "group:<id>", "org:<login>", "team:<org>/<slug>",
    // "claim:<name>=<value>"), from [roles].
    QMap<QString, QStringList> roleMap;
    QString refusalHelp; // IT's text or address shown with every refusal

    // Programs IT runs at sign-in and sign-out: an absolute path and its arguments, no shell.
    QStringList preSignin;  // may veto a sign-in (non-zero exit), fail closed
    QStringList onSignin;
    QStringList onSignout;
    std::chrono::seconds hookTimeout{10};
    bool hookAccessToken = false; // hand the access token to the hooks (off: they see the identity only)
};

// The tenant id of personal Microsoft accounts (Entra ID docs, "ID token claims reference": tid).
inline const QString MicrosoftPersonalTenant = QStringLiteral("9188040d-6c67-4c5b-b112-36a304b66dad");

struct ProviderConfig {
    QString id;
    QString type; // "oidc", "google" or "microsoft"
    QString displayName;
    // The issuer discovery starts from. For Microsoft it is built from authority_host and tenant.
    QUrl issuer;
    QString clientId;
    QString clientSecret; // optional; public clients have none
    QStringList scopes;   // including extra_scopes; always contains "openid"

    // Google (type = google): the Workspace domain the ID token's `hd` claim must name; empty: any
    // Google account, including consumer accounts.
    QString hostedDomain;

    // Microsoft Entra ID (type = microsoft).
    QString tenant;         // a GUID, a verified domain, "organizations", "common" or "consumers"
    QUrl authorityHost;     // https://login.microsoftonline.com, or a sovereign cloud's
    QStringList allowedTenants; // tenant ids (GUIDs) whose accounts may sign in; "*": any tenant
    bool allowPersonalAccounts = false; // personal Microsoft accounts (tid 9188040d-...)
    QUrl graphUrl;          // https://graph.microsoft.com, or a sovereign cloud's
    std::chrono::seconds graphTimeout{10};

    // GitHub (type = github): OAuth, not OpenID Connect. `issuer` holds the host.
    QUrl apiUrl;                // https://api.github.com, or https://HOST/api/v3 for Enterprise Server
    QStringList allowedOrgs;    // organisation logins; an active membership in one is required

    // Replaces the general allowed_domains for this provider when set.
    std::optional<QStringList> allowedDomains;

    // Device authorization grant (RFC 8628), for sessions without a local browser. Off unless
    // allowed: a device code is easy to phish ("enter this code at microsoft.com/devicelogin").
    bool allowDeviceFlow = false;
    QString deviceClientId;     // defaults to client_id (Google needs a "limited input device" client)
    QString deviceClientSecret; // defaults to client_secret when device_client_id is not set
    QUrl deviceAuthorizationEndpoint; // override; GitHub: https://HOST/login/device/code

    // Presentation: how the sign-in button looks (returned by the IPC `providers` call).
    bool enabled = true;
    int order = 0;            // sorts providers when [general] providers does not list them
    QString buttonText;       // default "Sign in with <display_name>"
    QString logo;             // a built-in logo: "microsoft", "google", "github" or "openid"
    QString logoFile;         // an administrator's own logo (SVG or PNG), overriding `logo`
    QString backgroundColor;  // #rrggbb
    QString textColor;        // #rrggbb

    // This provider as its device client (device_client_id and its secret): the client a device
    // sign-in's tokens belong to, which renewal and revocation must use.
    ProviderConfig asDeviceClient() const
    {
        ProviderConfig device = *this;
        if (!deviceClientId.isEmpty()) {
            device.clientId = deviceClientId;
            device.clientSecret = deviceClientSecret;
        }
        return device;
    }

    // Whether sign-in is OpenID Connect (an ID token is asked for and validated).
    bool isOpenIdConnect() const { return scopes.contains(QStringLiteral("openid")); }
    // Optional overrides of what discovery says.
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl userinfoEndpoint;
    std::chrono::seconds httpTimeout{10};
    // Extra trust anchors for TLS (ca_file), added to the system's: for TLS-inspecting proxies.
    QString caFile;
    QList<QSslCertificate> extraCaCertificates;

    // Problems with this provider's own keys: if any is an error the provider is unavailable.
    QList<ConfigProblem> problems;
    bool isAvailable() const;
    // The first error, phrased for a person, or empty.
    QString firstError() const;
};

// One companion app IT allows or denies in the policy ([app.<id>], docs/ipc.md "Who is calling").
struct AppGrantConfig {
    QString id;       // the group's <id>
    QString name;     // shown to people; the id when not set
    QString exe;      // absolute path of the executable (as configured; matched by canonical path)
    QString script;   // for interpreters: the script's absolute path; empty otherwise
    QStringList scopes{QStringLiteral("*")}; // what the app may ask tokens for; "*" = whatever the session holds
    bool allow = true; // access = allow | deny
    QString file;      // where it was configured, for problems and `apps`
};

// What happens to an app the policy does not name.
enum class UnknownApps { Prompt, Deny, Allow };

struct Config {
    std::chrono::seconds sessionAge{3600};
    // Silent renewal with the refresh token before the session expires, up to maxSessionAge after
    // the interactive sign-in (docs/policy.md).
    bool renewSilently = true;
    // Without a usable keychain, refuse sign-ins (true) or keep the session in memory only (false).
    bool requireKeychain = true;
    // Where the window shows the provider's sign-in page: the system browser (false), or, for
    // kiosks, its own embedded one (signet-webview; never for Google). RFC 8252 prefers the former.
    bool embeddedBrowser = false;
    QString signInMessage; // IT's message on the window's sign-in screen; empty for none
    std::chrono::seconds maxSessionAge{8 * 3600};
    std::chrono::seconds stateTimeout{600};
    std::chrono::seconds httpTimeout{10};
    QString caFile;
    QList<QSslCertificate> extraCaCertificates;
    QList<ProviderConfig> providers; // in the configured order
    PolicyConfig policy;
    QList<AppGrantConfig> apps;               // [app.<id>] groups, sorted by id
    UnknownApps unknownApps = UnknownApps::Prompt; // unknown_apps
    bool whoamiNeedsGrant = false;            // whoami = granted (default any)
    QStringList lockedKeys;          // what the system files locked ("allowed_domains", "roles", "provider.corp", "provider.corp/client_id")
    QStringList files;               // the files that were read, lowest priority first

    // Problems with the files or the general keys. Errors here make sign-in refuse to start
    // (never silently use a default in place of a value someone wrote).
    QList<ConfigProblem> problems;

    bool hasGeneralErrors() const;
    // Every problem: general and per provider.
    QList<ConfigProblem> allProblems() const;
    const ProviderConfig *provider(const QString &id) const;
};

// Where configuration comes from. The system files always apply; the user's file, or the file given
// with --config, is layered on top. XDG precedence: the first directory in XDG_CONFIG_DIRS wins
// over later ones.
struct ConfigSources {
    QStringList systemFiles; // highest priority first, as in XDG_CONFIG_DIRS
    QString userFile;
    bool userFileRequired = false; // true for --config: a missing file is an error then
    // Windows: the policy a GPO writes to HKLM\Software\Policies\Signet, read through QSettings'
    // native format. A system source (it may lock keys) that wins over every file. Its layout:
    // [general]'s keys are values of the key itself, every other group a subkey. Empty elsewhere;
    // the tests point it at a file in another QSettings format laid out the same way.
    QString policyRegistry;
    QSettings::Format policyRegistryFormat = QSettings::NativeFormat;

    // From XDG_CONFIG_DIRS (default /etc/xdg) and XDG_CONFIG_HOME (default ~/.config), or the
    // explicit file; on Windows also the registry policy (policyRegistry).
    static ConfigSources fromEnvironment(const QString &explicitUserFile = {});
};

class ConfigLoader
{
public:
    static Config load(const ConfigSources &sources);

    // The keys Signet knows, for --check-config and the docs: "general" or "provider".
    static QStringList knownKeys(const QString &groupKind);
};

} // namespace Signet
