#include "config.h"

#include "logging/logging.h"
#include "net/wellformed.h"
#include "ipc/caller.h"
#include "policy/emaildomain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QMap>
#include <QRegularExpression>
#include <QSettings>
#include <QVariant>

#include <functional>

using namespace std::chrono_literals;

namespace Signet {

QString ConfigProblem::toString() const
{
    QString where = file.isEmpty() ? QStringLiteral("configuration") : file;
    if (!group.isEmpty())
        where += QStringLiteral(": [%1]").arg(group);
    if (!key.isEmpty())
        where += QStringLiteral(" %1").arg(key);
    return QStringLiteral("%1: %2").arg(where, message);
}

bool ProviderConfig::isAvailable() const
{
    return std::none_of(problems.cbegin(), problems.cend(), [](const ConfigProblem &p) { return p.isError(); });
}

QString ProviderConfig::firstError() const
{
    for (const auto &p : problems) {
        if (p.isError())
            return p.toString();
    }
    return {};
}

bool Config::hasGeneralErrors() const
{
    return std::any_of(problems.cbegin(), problems.cend(), [](const ConfigProblem &p) { return p.isError(); });
}

QList<ConfigProblem> Config::allProblems() const
{
    QList<ConfigProblem> all = problems;
    for (const auto &provider : providers)
        all += provider.problems;
    return all;
}

const ProviderConfig *Config::provider(const QString &id) const
{
    for (const auto &p : providers) {
        if (p.id == id)
            return &p;
    }
    return nullptr;
}

ConfigSources ConfigSources::fromEnvironment(const QString &explicitUserFile)
{
    ConfigSources sources;
    QString dirs = qEnvironmentVariable("XDG_CONFIG_DIRS");
    if (dirs.isEmpty())
        dirs = QStringLiteral("/etc/xdg");
    for (const QString &dir : dirs.split(QLatin1Char(':'), Qt::SkipEmptyParts))
        sources.systemFiles << QDir(dir).filePath(QStringLiteral("signet/signet.conf"));

    if (!explicitUserFile.isEmpty()) {
        sources.userFile = explicitUserFile;
        sources.userFileRequired = true;
    } else {
        QString home = qEnvironmentVariable("XDG_CONFIG_HOME");
        if (home.isEmpty())
            home = QDir::home().filePath(QStringLiteral(".config"));
        sources.userFile = QDir(home).filePath(QStringLiteral("signet/signet.conf"));
    }
#ifdef Q_OS_WIN
    // Where Group Policy puts an application's policy (Computer Configuration; only administrators
    // can write there). Not built or tested on Windows here: docs/admin.md, "Windows".
    sources.policyRegistry = QStringLiteral("HKEY_LOCAL_MACHINE\\Software\\Policies\\Signet");
    sources.policyRegistryFormat = QSettings::NativeFormat;
#endif
    return sources;
}

namespace {

const QString GeneralGroup = QStringLiteral("general");
const QString RolesGroup = QStringLiteral("roles");
const QString ProviderPrefix = QStringLiteral("provider.");
const QString AppPrefix = QStringLiteral("app.");

// A value as found in a file, remembering which file it came from so problems can name it.
struct RawValue {
    QVariant value;
    QString file;
};
using RawGroup = QMap<QString, RawValue>;

struct KeySpec {
    QString key;
    QString meaning; // for the "known keys" hint
};

const QList<KeySpec> &generalKeys()
{
    static const QList<KeySpec> keys = {
        {QStringLiteral("session_age"), QStringLiteral("seconds a sign-in stays valid")},
        {QStringLiteral("renew"), QStringLiteral("silent or off: renew the session with the refresh token")},
        {QStringLiteral("browser"), QStringLiteral("system or embedded: where the window shows the sign-in page")},
        {QStringLiteral("signin_message"), QStringLiteral("IT's message on the window's sign-in screen")},
        {QStringLiteral("require_keychain"), QStringLiteral("refuse sign-ins when no keychain can hold the tokens")},
        {QStringLiteral("max_session_age"), QStringLiteral("seconds after which an interactive sign-in is required")},
        {QStringLiteral("state_timeout"), QStringLiteral("seconds to finish a sign-in in the browser")},
        {QStringLiteral("http_timeout"), QStringLiteral("seconds for each request to a provider")},
        {QStringLiteral("providers"), QStringLiteral("the enabled providers, in order")},
        {QStringLiteral("ca_file"), QStringLiteral("extra trusted CA certificates (PEM)")},
        {QStringLiteral("allowed_domains"), QStringLiteral("e-mail domains admitted, or *")},
        {QStringLiteral("auto_register"), QStringLiteral("register new accounts at their first sign-in")},
        {QStringLiteral("preregistered"), QStringLiteral("accounts admitted without auto_register")},
        {QStringLiteral("staff"), QStringLiteral("addresses granted the role staff")},
        {QStringLiteral("admins"), QStringLiteral("addresses granted the role admin")},
        {QStringLiteral("always_update"), QStringLiteral("re-apply staff and admins at every sign-in")},
        {QStringLiteral("refusal_help"), QStringLiteral("text or address shown with every refusal")},
        {QStringLiteral("locked"), QStringLiteral("keys user files cannot override (system files only)")},
        {QStringLiteral("pre_signin"), QStringLiteral("a program that may veto a sign-in")},
        {QStringLiteral("on_signin"), QStringLiteral("a program run after a sign-in")},
        {QStringLiteral("on_signout"), QStringLiteral("a program run after a sign-out")},
        {QStringLiteral("hook_timeout"), QStringLiteral("seconds a hook may run")},
        {QStringLiteral("hook_access_token"), QStringLiteral("give hooks the access token")},
        {QStringLiteral("unknown_apps"), QStringLiteral("prompt, deny or allow: apps without an [app.<id>] grant")},
        {QStringLiteral("whoami"), QStringLiteral("any or granted: which apps may ask who is signed in")},
    };
    return keys;
}

const QList<KeySpec> &providerKeys()
{
    static const QList<KeySpec> keys = {
        {QStringLiteral("type"), {}},
        {QStringLiteral("display_name"), {}},
        {QStringLiteral("issuer"), {}},
        {QStringLiteral("client_id"), {}},
        {QStringLiteral("client_secret"), {}},
        {QStringLiteral("scopes"), {}},
        {QStringLiteral("authorization_endpoint"), {}},
        {QStringLiteral("token_endpoint"), {}},
        {QStringLiteral("userinfo_endpoint"), {}},
        {QStringLiteral("http_timeout"), {}},
        {QStringLiteral("ca_file"), {}},
        {QStringLiteral("extra_scopes"), {}},
        {QStringLiteral("hosted_domain"), {}},
        {QStringLiteral("tenant"), {}},
        {QStringLiteral("authority_host"), {}},
        {QStringLiteral("allowed_tenants"), {}},
        {QStringLiteral("allow_personal_accounts"), {}},
        {QStringLiteral("graph_url"), {}},
        {QStringLiteral("graph_timeout"), {}},
        {QStringLiteral("allowed_domains"), {}},
        {QStringLiteral("allow_device_flow"), {}},
        {QStringLiteral("device_client_id"), {}},
        {QStringLiteral("device_client_secret"), {}},
        {QStringLiteral("device_authorization_endpoint"), {}},
        {QStringLiteral("enabled"), {}},
        {QStringLiteral("order"), {}},
        {QStringLiteral("button_text"), {}},
        {QStringLiteral("logo"), {}},
        {QStringLiteral("background_color"), {}},
        {QStringLiteral("text_color"), {}},
        {QStringLiteral("host"), {}},
        {QStringLiteral("api_url"), {}},
        {QStringLiteral("allowed_orgs"), {}},
    };
    return keys;
}

const QList<KeySpec> &appKeys()
{
    static const QList<KeySpec> keys = {
        {QStringLiteral("exe"), QStringLiteral("the app's executable, absolute path")},
        {QStringLiteral("script"), QStringLiteral("for interpreters: the script, absolute path")},
        {QStringLiteral("name"), QStringLiteral("the name people see")},
        {QStringLiteral("scopes"), QStringLiteral("scopes the app may ask tokens for, or *")},
        {QStringLiteral("access"), QStringLiteral("allow or deny")},
    };
    return keys;
}

// Keys that only mean something for one provider type.
QString keyType(const QString &key)
{
    if (key == QLatin1String("hosted_domain"))
        return QStringLiteral("google");
    if (key == QLatin1String("host") || key == QLatin1String("api_url") || key == QLatin1String("allowed_orgs"))
        return QStringLiteral("github");
    static const QStringList microsoft{QStringLiteral("tenant"), QStringLiteral("authority_host"), QStringLiteral("allowed_tenants"),
                                       QStringLiteral("allow_personal_accounts"), QStringLiteral("graph_url"), QStringLiteral("graph_timeout")};
    return microsoft.contains(key) ? QStringLiteral("microsoft") : QString();
}

bool isKnown(const QList<KeySpec> &specs, const QString &key)
{
    return std::any_of(specs.cbegin(), specs.cend(), [&](const KeySpec &s) { return s.key == key; });
}

QStringList keyNames(const QList<KeySpec> &specs)
{
    QStringList names;
    for (const auto &s : specs)
        names << s.key;
    return names;
}

// Collects problems for one group while its keys are read.
class GroupReader
{
public:
    GroupReader(const RawGroup &values, QString group, QList<ConfigProblem> *problems)
        : m_values(values)
        , m_group(std::move(group))
        , m_problems(problems)
    {
    }

    void error(const QString &key, const QString &message, const QString &file = {})
    {
        m_problems->append({ConfigProblem::Severity::Error, file.isEmpty() ? fileOf(key) : file, m_group, key, message});
    }
    void warning(const QString &key, const QString &message)
    {
        m_problems->append({ConfigProblem::Severity::Warning, fileOf(key), m_group, key, message});
    }
    // A key Signet does not know: ignored at run time, a failure for --check-config.
    void unknownKey(const QString &key, const QStringList &known)
    {
        m_problems->append({ConfigProblem::Severity::Warning, fileOf(key), m_group, key,
                            QStringLiteral("unknown key, ignored; known keys are %1").arg(known.join(QStringLiteral(", "))), true});
    }

    bool has(const QString &key) const { return m_values.contains(key); }

    QString fileOf(const QString &key) const { return m_values.value(key).file; }

    // A single string. QSettings turns an unquoted value with a comma into a list: that is
    // almost always a mistake in a value meant as one string, so it is an error that says how to fix it.
    std::optional<QString> string(const QString &key)
    {
        if (!has(key))
            return std::nullopt;
        const QVariant v = m_values.value(key).value;
        if (v.userType() == QMetaType::QStringList) {
            error(key, QStringLiteral("contains a comma, which makes it a list; put the whole value in double quotes"));
            return std::nullopt;
        }
        const QString text = v.toString().trimmed();
        if (spansLines(key, text))
            return std::nullopt;
        return text;
    }

    // A list: either comma-separated (read by QSettings as a list) or space-separated.
    std::optional<QStringList> list(const QString &key)
    {
        if (!has(key))
            return std::nullopt;
        const QVariant v = m_values.value(key).value;
        QStringList raw = v.userType() == QMetaType::QStringList ? v.toStringList() : QStringList{v.toString()};
        if (spansLines(key, raw.join(QLatin1Char(' '))))
            return std::nullopt;
        QStringList items;
        for (const QString &part : raw)
            items += part.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts);
        return items;
    }

    // allowed_domains: domains (internationalised ones too) or "*", stored in their ASCII form.
    std::optional<QStringList> domains(const QString &key)
    {
        const auto items = list(key);
        if (!items)
            return std::nullopt;
        QStringList result;
        for (const QString &item : *items) {
            if (item == QLatin1String("*")) {
                result << item;
                continue;
            }
            QString problem;
            QString domain = item;
            if (domain.startsWith(QLatin1Char('@')))
                domain.remove(0, 1);
            if (const auto normalized = EmailDomain::normalize(domain, &problem))
                result << *normalized;
            else
                error(key, QStringLiteral("'%1': %2; write domains such as example.com, or * for any").arg(item.left(80), problem));
        }
        return result;
    }

    // Addresses (lower case) or "*", for staff and admins.
    std::optional<QStringList> addresses(const QString &key, bool allowAccounts = false)
    {
        const auto items = list(key);
        if (!items)
            return std::nullopt;
        QStringList result;
        for (const QString &item : *items) {
            QString problem;
            if (item == QLatin1String("*") && !allowAccounts)
                result << item;
            else if (allowAccounts && !item.contains(QLatin1Char('@')) && item.contains(QLatin1Char(':')))
                result << item; // <provider-id>:<account>
            else if (EmailDomain::ofAddress(item, &problem))
                result << item.toLower();
            else
                error(key, QStringLiteral("'%1' is not an e-mail address%2: %3").arg(item.left(80), allowAccounts ? QStringLiteral(" or <provider-id>:<account>") : QString(), problem));
        }
        return result;
    }

    // A colour as #rrggbb.
    std::optional<QString> color(const QString &key)
    {
        const auto text = string(key);
        if (!text)
            return std::nullopt;
        static const QRegularExpression pattern(QStringLiteral("^#[0-9a-fA-F]{6}$"));
        if (!pattern.match(*text).hasMatch()) {
            // Presentation only: a typo here must not take sign-in away.
            warning(key, QStringLiteral("'%1' is not a colour; write it as #rrggbb (the default is used)").arg(text->left(40)));
            return std::nullopt;
        }
        return text->toLower();
    }

    // A whole number within [min, max]; only for presentation (a problem is a warning).
    std::optional<int> integer(const QString &key, int min, int max)
    {
        const auto text = string(key);
        if (!text)
            return std::nullopt;
        bool ok = false;
        const int value = text->toInt(&ok);
        if (!ok || value < min || value > max) {
            warning(key, QStringLiteral("'%1' is not a whole number from %2 to %3 (the default is used)").arg(text->left(40)).arg(min).arg(max));
            return std::nullopt;
        }
        return value;
    }

    // true/false (also yes/no, on/off, 1/0).
    std::optional<bool> boolean(const QString &key)
    {
        const auto text = string(key);
        if (!text)
            return std::nullopt;
        const QString value = text->toLower();
        if (value == QLatin1String("true") || value == QLatin1String("yes") || value == QLatin1String("on") || value == QLatin1String("1"))
            return true;
        if (value == QLatin1String("false") || value == QLatin1String("no") || value == QLatin1String("off") || value == QLatin1String("0"))
            return false;
        error(key, QStringLiteral("'%1' is not true or false").arg(text->left(40)));
        return std::nullopt;
    }

    // Seconds: "90", "90s", "10m" or "1h", within [min, max].
    std::optional<std::chrono::seconds> duration(const QString &key, std::chrono::seconds min, std::chrono::seconds max)
    {
        const auto text = string(key);
        if (!text)
            return std::nullopt;
        static const QRegularExpression pattern(QStringLiteral("^(\\d{1,9})\\s*([smh]?)$"));
        const auto match = pattern.match(*text);
        if (!match.hasMatch()) {
            error(key, QStringLiteral("'%1' is not a duration; write whole seconds such as 600, or 10m or 1h").arg(*text));
            return std::nullopt;
        }
        qint64 value = match.captured(1).toLongLong();
        const QString unit = match.captured(2);
        if (unit == QLatin1String("m"))
            value *= 60;
        else if (unit == QLatin1String("h"))
            value *= 3600;
        const std::chrono::seconds result{value};
        if (result < min || result > max) {
            error(key, QStringLiteral("%1 seconds is out of range; use %2 to %3 seconds").arg(value).arg(min.count()).arg(max.count()));
            return std::nullopt;
        }
        return result;
    }

    // An http(s) URL. Plain http only towards the loopback interface (tests, the demo provider):
    // anything else would send codes and tokens in clear text.
    std::optional<QUrl> url(const QString &key, bool allowPath = true)
    {
        const auto text = string(key);
        if (!text)
            return std::nullopt;
        const QUrl url(*text, QUrl::StrictMode);
        // Problems name the URL without the parts that may carry a password or a token.
        const QString shown = QUrl(*text).toString(QUrl::RemoveUserInfo | QUrl::RemoveQuery | QUrl::RemoveFragment).left(200);
        if (!url.isValid() || url.host().isEmpty() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
            error(key, QStringLiteral("'%1' is not an http(s) URL").arg(shown));
            return std::nullopt;
        }
        if (url.scheme() == QLatin1String("http") && !isLoopbackHost(url.host())) {
            error(key, QStringLiteral("'%1' must use https (plain http is accepted only for 127.0.0.1/localhost)").arg(shown));
            return std::nullopt;
        }
        if (url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty()) {
            error(key, QStringLiteral("'%1' must not contain a query, a fragment or credentials").arg(shown));
            return std::nullopt;
        }
        if (!allowPath && !url.path().isEmpty() && url.path() != QLatin1String("/")) {
            error(key, QStringLiteral("'%1' must not have a path").arg(shown));
            return std::nullopt;
        }
        return url;
    }

    // QSettings continues a value onto the next lines after an unclosed quote or a trailing
    // backslash, silently swallowing the keys written there: refuse such values.
    bool spansLines(const QString &key, const QString &text)
    {
        if (!text.contains(QLatin1Char('\n')) && !text.contains(QLatin1Char('\r')))
            return false;
        error(key, QStringLiteral("runs over several lines (an unclosed quote or a trailing backslash?); keep each value on its own line"));
        return true;
    }

    // A PEM file of CA certificates to trust in addition to the system's.
    std::optional<QPair<QString, QList<QSslCertificate>>> caFile(const QString &key)
    {
        const auto path = string(key);
        if (!path || path->isEmpty())
            return std::nullopt;
        // A regular file of bounded size: /dev/zero or a FIFO must not exhaust or block the agent.
        constexpr qint64 MaxCaFileBytes = 1024 * 1024;
        const QFileInfo info(*path);
        if (info.exists() && (!info.isFile() || info.size() > MaxCaFileBytes)) {
            error(key, QStringLiteral("'%1' is not a regular file of at most 1 MiB").arg(*path));
            return std::nullopt;
        }
        QFile file(*path);
        if (!file.open(QIODevice::ReadOnly)) {
            error(key, QStringLiteral("'%1' cannot be read (%2)").arg(*path, file.errorString()));
            return std::nullopt;
        }
        const QList<QSslCertificate> certificates = QSslCertificate::fromData(file.read(MaxCaFileBytes), QSsl::Pem);
        if (certificates.isEmpty()) {
            error(key, QStringLiteral("'%1' contains no PEM certificate (-----BEGIN CERTIFICATE-----)").arg(*path));
            return std::nullopt;
        }
        return qMakePair(*path, certificates);
    }

private:
    const RawGroup &m_values;
    QString m_group;
    QList<ConfigProblem> *m_problems;
};

// QSettings accepts almost anything; a line it cannot understand is silently dropped. Check the
// syntax ourselves first so a typo is reported with its line number instead of vanishing.
void checkSyntax(const QString &path, const QByteArray &content, QList<ConfigProblem> *problems)
{
    // QSettings ends a line at LF, CR or CRLF: so does this check.
    QByteArray normalised = content;
    normalised.replace("\r\n", "\n");
    normalised.replace('\r', '\n');
    const QList<QByteArray> lines = normalised.split('\n');
    static const QRegularExpression section(QStringLiteral("^\\[[^\\]]+\\]$"));
    static const QRegularExpression keyValue(QStringLiteral("^[A-Za-z0-9_.%/-]+\\s*=.*$"));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = QString::fromUtf8(lines.at(i)).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char(';')) || line.startsWith(QLatin1Char('#')))
            continue;
        if (line.endsWith(QLatin1Char('\\'))) {
            // QSettings joins such a line with the next one, silently swallowing what is written there.
            problems->append({ConfigProblem::Severity::Error, QStringLiteral("%1:%2").arg(path).arg(i + 1), {}, {},
                              QStringLiteral("ends with a backslash, which joins it with the next line; remove the backslash")});
            continue;
        }
        if (section.match(line).hasMatch() || keyValue.match(line).hasMatch())
            continue;
        problems->append({ConfigProblem::Severity::Error, QStringLiteral("%1:%2").arg(path).arg(i + 1), {}, {},
                          // The line itself is not repeated: a stray line is often a pasted secret.
                          QStringLiteral("cannot read this line; expected 'key = value' or '[group]'")});
    }
}

// Reads one file into the layered map (later files override earlier ones key by key).
void readFile(const QString &path, bool required, QMap<QString, RawGroup> *groups, QStringList *files, QList<ConfigProblem> *problems)
{
    const QFileInfo info(path);
    if (!info.exists()) {
        if (required)
            problems->append({ConfigProblem::Severity::Error, path, {}, {}, QStringLiteral("the file does not exist")});
        return;
    }
    if (info.isDir()) {
        problems->append({ConfigProblem::Severity::Error, path, {}, {}, QStringLiteral("is a directory, not a configuration file")});
        return;
    }
    // A configuration is a few kilobytes; a device or a runaway file must not exhaust the agent.
    constexpr qint64 MaxConfigBytes = 1024 * 1024;
    if (!info.isFile() || info.size() > MaxConfigBytes) {
        problems->append({ConfigProblem::Severity::Error, path, {}, {}, QStringLiteral("is not a regular file of at most 1 MiB")});
        return;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        problems->append({ConfigProblem::Severity::Error, path, {}, {},
                          QStringLiteral("cannot be read (%1); check its permissions").arg(file.errorString())});
        return;
    }
    const QByteArray content = file.readAll();
    file.close();
    files->append(path);
    checkSyntax(path, content, problems);

    // QSettings keeps parsed files in a process-wide cache and re-reads one only when its size or
    // modification time (milliseconds) changed: a reload (SIGHUP, file watch) sees every real edit.
    QSettings settings(path, QSettings::IniFormat);
    if (settings.status() != QSettings::NoError) {
        problems->append({ConfigProblem::Severity::Error, path, {}, {}, QStringLiteral("is not a valid INI file")});
        return;
    }
    const QStringList keys = settings.allKeys();
    for (const QString &fullKey : keys) {
        const qsizetype slash = fullKey.indexOf(QLatin1Char('/'));
        // QSettings reads the [general] section as its root: those keys have no group part.
        const QString group = slash < 0 ? GeneralGroup : fullKey.left(slash);
        const QString key = slash < 0 ? fullKey : fullKey.mid(slash + 1);
        (*groups)[group][key] = RawValue{settings.value(fullKey), path};
    }
}

// Reads policy laid out as Windows' registry holds it into the layered map, as readFile does for a
// file: [general]'s keys are the values of the key itself (or of a "general" subkey), every other
// group is a subkey. A REG_SZ arrives as a string ("1", "true", "a, b": lists are split later, as
// for files), a REG_MULTI_SZ as a list (one line: that string), a REG_DWORD or REG_QWORD as a number.
void readPolicySettings(const QString &location, QSettings::Format format, QMap<QString, RawGroup> *groups, QStringList *files,
                        QList<ConfigProblem> *problems)
{
    QSettings settings(location, format);
    if (settings.status() != QSettings::NoError) {
        problems->append({ConfigProblem::Severity::Error, location, {}, {}, QStringLiteral("cannot be read; check its permissions")});
        return;
    }
    const QStringList keys = settings.allKeys();
    if (keys.isEmpty())
        return; // no policy there: nothing to say
    files->append(location);
    for (const QString &fullKey : keys) {
        const qsizetype slash = fullKey.indexOf(QLatin1Char('/'));
        const QString group = slash < 0 ? GeneralGroup : fullKey.left(slash);
        const QString key = slash < 0 ? fullKey : fullKey.mid(slash + 1);
        QVariant value = settings.value(fullKey);
        switch (value.userType()) {
        case QMetaType::QString:
            break;
        case QMetaType::QStringList:
            if (value.toStringList().size() == 1)
                value = value.toStringList().first();
            break;
        case QMetaType::Int:
        case QMetaType::UInt:
        case QMetaType::LongLong:
        case QMetaType::ULongLong:
            value = value.toString();
            break;
        default:
            problems->append({ConfigProblem::Severity::Error, location, group, key,
                              QStringLiteral("is neither a string (REG_SZ), a list of strings (REG_MULTI_SZ) nor a number (REG_DWORD); write it as REG_SZ")});
            continue;
        }
        (*groups)[group][key] = RawValue{value, location};
    }
}

ProviderConfig readProvider(const QString &id, const RawGroup &values, const Config &config)
{
    ProviderConfig provider;
    provider.id = id;
    provider.httpTimeout = config.httpTimeout;
    const QString group = ProviderPrefix + id;
    GroupReader reader(values, group, &provider.problems);

    static const QRegularExpression idPattern(QStringLiteral("^[a-z0-9][a-z0-9_-]{0,31}$"));
    if (!idPattern.match(id).hasMatch()) {
        reader.error({}, QStringLiteral("'%1' is not a valid provider id; use up to 32 lowercase letters, digits, '-' or '_'").arg(id),
                     values.isEmpty() ? QString() : values.first().file);
    }

    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        if (!isKnown(providerKeys(), it.key()))
            reader.unknownKey(it.key(), keyNames(providerKeys()));
    }

    const QString anyFile = values.isEmpty() ? QString() : values.first().file;
    if (const auto type = reader.string(QStringLiteral("type"))) {
        provider.type = *type;
        if (*type != QLatin1String("oidc") && *type != QLatin1String("google") && *type != QLatin1String("microsoft") && *type != QLatin1String("github"))
            reader.error(QStringLiteral("type"), QStringLiteral("unknown provider type '%1'; use oidc, google, microsoft or github").arg(*type));
    } else if (!reader.has(QStringLiteral("type"))) {
        reader.error(QStringLiteral("type"), QStringLiteral("is missing; set type = oidc, google, microsoft or github"), anyFile);
    }
    const bool google = provider.type == QLatin1String("google");
    const bool microsoft = provider.type == QLatin1String("microsoft");
    const bool github = provider.type == QLatin1String("github");
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        const QString only = keyType(it.key());
        if (!only.isEmpty() && only != provider.type && !provider.type.isEmpty())
            reader.warning(it.key(), QStringLiteral("applies only to type = %1 providers, ignored").arg(only));
    }

    provider.displayName = reader.string(QStringLiteral("display_name")).value_or(QString());
    if (provider.displayName.isEmpty())
        provider.displayName = google ? QStringLiteral("Google") : microsoft ? QStringLiteral("Microsoft") : github ? QStringLiteral("GitHub") : id;

    if (microsoft) {
        // Entra ID: the issuer follows from the cloud and the tenant (v2.0 endpoints).
        if (reader.has(QStringLiteral("issuer")))
            reader.error(QStringLiteral("issuer"), QStringLiteral("is not used for type = microsoft; set tenant (and authority_host for a national cloud) instead"));
        provider.authorityHost = reader.url(QStringLiteral("authority_host"), false).value_or(QUrl(QStringLiteral("https://login.microsoftonline.com")));
        provider.authorityHost.setPath(QString());
        const QString tenant = reader.string(QStringLiteral("tenant")).value_or(QString()).toLower();
        provider.tenant = tenant;
        const bool multiTenant = tenant == QLatin1String("organizations") || tenant == QLatin1String("common");
        if (tenant.isEmpty()) {
            reader.error(QStringLiteral("tenant"), QStringLiteral("is missing; set it to your directory's tenant id or primary domain (organizations or common for several tenants, consumers for personal accounts)"), anyFile);
        } else if (!multiTenant && tenant != QLatin1String("consumers") && !isGuid(tenant) && !EmailDomain::normalize(tenant)) {
            reader.error(QStringLiteral("tenant"), QStringLiteral("'%1' is not a tenant id, a domain, organizations, common or consumers").arg(tenant.left(80)));
        }
        provider.allowPersonalAccounts = reader.boolean(QStringLiteral("allow_personal_accounts")).value_or(false);
        if ((tenant == QLatin1String("consumers") || tenant == MicrosoftPersonalTenant) && !provider.allowPersonalAccounts)
            reader.error(QStringLiteral("tenant"), QStringLiteral("'%1' signs in personal Microsoft accounts only; set allow_personal_accounts = true if that is intended").arg(tenant));
        if (const auto tenants = reader.list(QStringLiteral("allowed_tenants"))) {
            for (const QString &entry : *tenants) {
                if (entry != QLatin1String("*") && !isGuid(entry.toLower()))
                    reader.error(QStringLiteral("allowed_tenants"), QStringLiteral("'%1' is not a tenant id (a GUID) or *").arg(entry.left(80)));
                else
                    provider.allowedTenants << entry.toLower();
            }
        } else if (multiTenant) {
            // No silent "every organisation in the world": admitting any tenant takes an explicit *.
            reader.error(QStringLiteral("allowed_tenants"), QStringLiteral("is missing; with tenant = %1 name the tenant ids whose accounts may sign in, or * for any").arg(tenant), anyFile);
        } else if (isGuid(tenant)) {
            provider.allowedTenants << tenant;
        }
        provider.issuer = provider.authorityHost;
        provider.issuer.setPath(QStringLiteral("/%1/v2.0").arg(tenant));
        provider.graphUrl = reader.url(QStringLiteral("graph_url"), false).value_or(QUrl(QStringLiteral("https://graph.microsoft.com")));
        provider.graphUrl.setPath(QString());
        provider.graphTimeout = reader.duration(QStringLiteral("graph_timeout"), 1s, 300s).value_or(10s);
    } else if (github) {
        // GitHub and GitHub Enterprise Server: https://HOST/login/oauth/..., the API at
        // https://api.github.com or https://HOST/api/v3.
        if (reader.has(QStringLiteral("issuer")))
            reader.error(QStringLiteral("issuer"), QStringLiteral("is not used for type = github; set host for GitHub Enterprise Server instead"));
        provider.issuer = reader.url(QStringLiteral("host"), false).value_or(QUrl(QStringLiteral("https://github.com")));
        provider.issuer.setPath(QString());
        const QString host = provider.issuer.toString(QUrl::StripTrailingSlash);
        provider.authorizationEndpoint = QUrl(host + QStringLiteral("/login/oauth/authorize"));
        provider.tokenEndpoint = QUrl(host + QStringLiteral("/login/oauth/access_token"));
        provider.deviceAuthorizationEndpoint = QUrl(host + QStringLiteral("/login/device/code"));
        const QUrl defaultApi(host == QLatin1String("https://github.com") ? QStringLiteral("https://api.github.com") : host + QStringLiteral("/api/v3"));
        provider.apiUrl = reader.url(QStringLiteral("api_url")).value_or(defaultApi);
        static const QRegularExpression orgLogin(QStringLiteral("^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$"));
        for (const QString &org : reader.list(QStringLiteral("allowed_orgs")).value_or(QStringList{})) {
            if (!orgLogin.match(org).hasMatch())
                reader.error(QStringLiteral("allowed_orgs"), QStringLiteral("'%1' is not a GitHub organisation name").arg(org.left(80)));
            else
                provider.allowedOrgs << org.toLower();
        }
    } else if (auto issuer = reader.url(QStringLiteral("issuer"))) {
        provider.issuer = *issuer;
    } else if (google && !reader.has(QStringLiteral("issuer"))) {
        provider.issuer = QUrl(QStringLiteral("https://accounts.google.com"));
    } else if (!reader.has(QStringLiteral("issuer"))) {
        reader.error(QStringLiteral("issuer"), QStringLiteral("is missing; set it to the provider's issuer URL (its discovery document is <issuer>/.well-known/openid-configuration)"), anyFile);
    }

    if (google) {
        // The same domain rules as allowed_domains, kept in the ASCII (IDNA) form.
        const QString domain = reader.string(QStringLiteral("hosted_domain")).value_or(QString());
        const auto normalized = EmailDomain::normalize(domain);
        if (!domain.isEmpty() && !normalized)
            reader.error(QStringLiteral("hosted_domain"), QStringLiteral("'%1' is not a domain name such as example.com").arg(domain.left(80)));
        provider.hostedDomain = normalized.value_or(QString());
    }

    if (!reader.has(QStringLiteral("client_id"))) {
        reader.error(QStringLiteral("client_id"), QStringLiteral("is missing; set it to the client id registered for Signet at the provider"), anyFile);
    } else if (const auto clientId = reader.string(QStringLiteral("client_id"))) {
        if (clientId->isEmpty())
            reader.error(QStringLiteral("client_id"), QStringLiteral("is empty; set it to the client id registered for Signet at the provider"));
        provider.clientId = *clientId;
    }

    provider.clientSecret = reader.string(QStringLiteral("client_secret")).value_or(QString());
    // GitHub's token endpoint requires the secret for the authorization code flow (even with PKCE).
    if (github && provider.clientSecret.isEmpty())
        reader.error(QStringLiteral("client_secret"), QStringLiteral("is missing; GitHub requires the client secret of the OAuth or GitHub App"), anyFile);

    // Microsoft: offline_access for a refresh token; User.Read lets Signet read the profile from
    // Microsoft Graph, which the e-mail rules need (docs/providers.md).
    // GitHub: the profile and the e-mail addresses; organisation membership when it is checked.
    QStringList defaultScopes = microsoft ? QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"), QStringLiteral("offline_access")}
        : github                          ? QStringList{QStringLiteral("read:user"), QStringLiteral("user:email")}
                                          : QStringList{QStringLiteral("openid"), QStringLiteral("email"), QStringLiteral("profile")};
    if (github && !provider.allowedOrgs.isEmpty())
        defaultScopes << QStringLiteral("read:org");
    const QStringList defaultExtraScopes = microsoft ? QStringList{QStringLiteral("User.Read")} : QStringList{};
    provider.scopes = reader.list(QStringLiteral("scopes")).value_or(defaultScopes);
    if (github) {
        if (provider.scopes.contains(QStringLiteral("openid")))
            reader.error(QStringLiteral("scopes"), QStringLiteral("'openid' is not a GitHub scope; GitHub sign-in is OAuth with the user API"));
        if (!provider.scopes.contains(QStringLiteral("user:email")) && !provider.scopes.contains(QStringLiteral("user")))
            reader.error(QStringLiteral("scopes"), QStringLiteral("must include 'user:email' (Signet reads the verified primary address)"));
        if (!provider.allowedOrgs.isEmpty() && !provider.scopes.contains(QStringLiteral("read:org")))
            reader.error(QStringLiteral("scopes"), QStringLiteral("must include 'read:org' when allowed_orgs is set"));
    } else if (!provider.scopes.contains(QStringLiteral("openid"))) {
        reader.error(QStringLiteral("scopes"), QStringLiteral("must include 'openid' (Signet signs people in with OpenID Connect)"));
    }
    for (const QString &scope : reader.list(QStringLiteral("extra_scopes")).value_or(defaultExtraScopes)) {
        if (!provider.scopes.contains(scope))
            provider.scopes << scope;
    }

    provider.authorizationEndpoint = reader.url(QStringLiteral("authorization_endpoint")).value_or(provider.authorizationEndpoint);
    provider.tokenEndpoint = reader.url(QStringLiteral("token_endpoint")).value_or(provider.tokenEndpoint);
    provider.userinfoEndpoint = reader.url(QStringLiteral("userinfo_endpoint")).value_or(QUrl());
    provider.httpTimeout = reader.duration(QStringLiteral("http_timeout"), 1s, 300s).value_or(config.httpTimeout);
    provider.caFile = config.caFile;
    provider.extraCaCertificates = config.extraCaCertificates;
    if (const auto ca = reader.caFile(QStringLiteral("ca_file"))) {
        provider.caFile = ca->first;
        provider.extraCaCertificates = ca->second;
    }

    provider.allowedDomains = reader.domains(QStringLiteral("allowed_domains"));
    provider.allowDeviceFlow = reader.boolean(QStringLiteral("allow_device_flow")).value_or(false);
    provider.deviceClientId = reader.string(QStringLiteral("device_client_id")).value_or(QString());
    provider.deviceClientSecret = reader.string(QStringLiteral("device_client_secret")).value_or(QString());
    if (provider.deviceClientId.isEmpty()) {
        provider.deviceClientId = provider.clientId;
        if (provider.deviceClientSecret.isEmpty())
            provider.deviceClientSecret = provider.clientSecret;
    }
    provider.deviceAuthorizationEndpoint = reader.url(QStringLiteral("device_authorization_endpoint")).value_or(provider.deviceAuthorizationEndpoint);
    if (!provider.allowDeviceFlow) {
        for (const char *key : {"device_client_id", "device_client_secret", "device_authorization_endpoint"}) {
            if (reader.has(QLatin1String(key)))
                reader.warning(QLatin1String(key), QStringLiteral("has no effect while allow_device_flow is not true"));
        }
    }

    // Presentation, with each type's defaults (the colours follow each provider's own guidance
    // for sign-in buttons: Microsoft dark, Google light, GitHub dark).
    provider.enabled = reader.boolean(QStringLiteral("enabled")).value_or(true);
    provider.order = reader.integer(QStringLiteral("order"), -1000, 1000).value_or(0);
    provider.buttonText = reader.string(QStringLiteral("button_text")).value_or(QString());
    if (provider.buttonText.isEmpty())
        provider.buttonText = QStringLiteral("Sign in with %1").arg(provider.displayName);
    provider.logo = google ? QStringLiteral("google") : microsoft ? QStringLiteral("microsoft") : github ? QStringLiteral("github") : QStringLiteral("openid");
    struct Colors {
        const char *background;
        const char *text;
    };
    const Colors colors = google ? Colors{"#ffffff", "#1f1f1f"} : microsoft ? Colors{"#2f2f2f", "#ffffff"} : github ? Colors{"#24292f", "#ffffff"} : Colors{"#3b5bdb", "#ffffff"};
    provider.backgroundColor = reader.color(QStringLiteral("background_color")).value_or(QString::fromLatin1(colors.background));
    provider.textColor = reader.color(QStringLiteral("text_color")).value_or(QString::fromLatin1(colors.text));
    if (const auto logo = reader.string(QStringLiteral("logo")); logo && !logo->isEmpty()) {
        // A file of bounded size: the window loads it on every start.
        constexpr qint64 MaxLogoBytes = 256 * 1024;
        const QFileInfo info(*logo);
        const QString suffix = info.suffix().toLower();
        if (!info.isAbsolute())
            reader.warning(QStringLiteral("logo"), QStringLiteral("'%1' is not an absolute path; the built-in logo is used").arg(logo->left(200)));
        else if (!info.isFile() || !info.isReadable() || info.size() > MaxLogoBytes)
            reader.warning(QStringLiteral("logo"), QStringLiteral("'%1' is not a readable file of at most 256 KiB; the built-in logo is used").arg(logo->left(200)));
        else if (suffix != QLatin1String("svg") && suffix != QLatin1String("png"))
            reader.warning(QStringLiteral("logo"), QStringLiteral("'%1' is neither .svg nor .png; the built-in logo is used").arg(logo->left(200)));
        else
            provider.logoFile = info.absoluteFilePath();
    }
    return provider;
}

void readPolicy(GroupReader &reader, const RawGroup &roles, Config *config)
{
    PolicyConfig &policy = config->policy;
    policy.allowedDomains = reader.domains(QStringLiteral("allowed_domains"));
    policy.autoRegister = reader.boolean(QStringLiteral("auto_register")).value_or(true);
    policy.preregistered = reader.addresses(QStringLiteral("preregistered"), true).value_or(QStringList{});
    policy.staff = reader.addresses(QStringLiteral("staff")).value_or(QStringList{});
    policy.admins = reader.addresses(QStringLiteral("admins")).value_or(QStringList{});
    policy.alwaysUpdate = reader.boolean(QStringLiteral("always_update")).value_or(false);
    policy.refusalHelp = reader.string(QStringLiteral("refusal_help")).value_or(QString()).left(500);
    for (const auto &[key, target] : {std::pair{QStringLiteral("pre_signin"), &policy.preSignin}, std::pair{QStringLiteral("on_signin"), &policy.onSignin},
                                      std::pair{QStringLiteral("on_signout"), &policy.onSignout}}) {
        // Split on whitespace like a command line without a shell: no quoting, no expansion.
        const auto text = reader.string(key);
        if (!text || text->isEmpty())
            continue;
        const QStringList command = text->split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
        const QFileInfo program(command.first());
        if (!program.isAbsolute() || !program.isFile() || !program.isExecutable())
            reader.error(key, QStringLiteral("'%1' is not an executable file given by its absolute path").arg(command.first().left(200)));
        else
            *target = command;
    }
    policy.hookTimeout = reader.duration(QStringLiteral("hook_timeout"), 1s, 60s).value_or(policy.hookTimeout);
    policy.hookAccessToken = reader.boolean(QStringLiteral("hook_access_token")).value_or(false);

    // [roles]: each key a Signet role, each value the provider facts that grant it.
    GroupReader rolesReader(roles, RolesGroup, &config->problems);
    static const QRegularExpression roleName(QStringLiteral("^[a-z0-9][a-z0-9_.-]{0,63}$"));
    static const QRegularExpression source(QStringLiteral("^(role|group|org|team|claim):.+$"));
    for (auto it = roles.cbegin(); it != roles.cend(); ++it) {
        if (!roleName.match(it.key()).hasMatch()) {
            rolesReader.error(it.key(), QStringLiteral("is not a role name; use up to 64 lowercase letters, digits, '.', '-' or '_'"));
            continue;
        }
        QStringList sources;
        for (const QString &entry : rolesReader.list(it.key()).value_or(QStringList{})) {
            if (!source.match(entry).hasMatch() || (entry.startsWith(QLatin1String("claim:")) && !entry.contains(QLatin1Char('='))))
                rolesReader.error(it.key(), QStringLiteral("'%1' is not a role source; write role:NAME, group:ID, org:LOGIN, team:ORG/SLUG or claim:NAME=VALUE").arg(entry.left(80)));
            else
                sources << entry;
        }
        policy.roleMap.insert(it.key(), sources);
    }
}

// [app.<id>]: a companion app IT allows (or denies), identified by its executable and, for
// interpreters, its script (docs/ipc.md, "Who is calling").
std::optional<AppGrantConfig> readApp(const QString &id, const RawGroup &values, QList<ConfigProblem> *problems)
{
    const QString group = AppPrefix + id;
    GroupReader reader(values, group, problems);
    for (auto it = values.cbegin(); it != values.cend(); ++it) {
        if (!isKnown(appKeys(), it.key()))
            reader.unknownKey(it.key(), keyNames(appKeys()));
    }
    static const QRegularExpression idPattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"));
    if (!idPattern.match(id).hasMatch()) {
        problems->append({ConfigProblem::Severity::Error, values.isEmpty() ? QString() : values.first().file, group, {},
                          QStringLiteral("is not an app id; use up to 64 letters, digits, '.', '-' or '_' after 'app.'")});
        return std::nullopt;
    }
    AppGrantConfig app;
    app.id = id;
    app.file = values.isEmpty() ? QString() : values.first().file;
    app.name = reader.string(QStringLiteral("name")).value_or(id);
    const auto absoluteFile = [&](const QString &key) -> std::optional<QString> {
        const auto path = reader.string(key);
        if (!path)
            return std::nullopt;
        if (!QFileInfo(*path).isAbsolute()) {
            reader.error(key, QStringLiteral("'%1' is not an absolute path; write the full path, e.g. /usr/bin/myapp").arg(path->left(200)));
            return std::nullopt;
        }
        return QDir::cleanPath(*path);
    };
    const auto exe = absoluteFile(QStringLiteral("exe"));
    if (!exe) {
        if (!reader.has(QStringLiteral("exe")))
            reader.error(QStringLiteral("exe"), QStringLiteral("is missing; name the app's executable by its absolute path"), app.file);
        return std::nullopt;
    }
    app.exe = *exe;
    app.script = absoluteFile(QStringLiteral("script")).value_or(QString());
    // An interpreter is not an identity: any script could run in it. Missing files are not an
    // error here (the app may be installed later); the grant simply matches nothing until then.
    if (Caller::isInterpreter(app.exe) && app.script.isEmpty() && !reader.has(QStringLiteral("script"))) {
        reader.error(QStringLiteral("script"), QStringLiteral("is missing: %1 is an interpreter, which any script can run in; name the script too").arg(app.exe), app.file);
        return std::nullopt;
    }
    if (!app.script.isEmpty() && !Caller::isInterpreter(app.exe))
        reader.warning(QStringLiteral("script"), QStringLiteral("is ignored: %1 is not a known interpreter").arg(app.exe));
    if (const auto scopes = reader.list(QStringLiteral("scopes"))) {
        if (scopes->isEmpty())
            reader.error(QStringLiteral("scopes"), QStringLiteral("is empty; list the scopes the app may ask for, or * for those of the session"));
        else
            app.scopes = *scopes;
    }
    if (const auto access = reader.string(QStringLiteral("access"))) {
        if (*access == QLatin1String("allow") || *access == QLatin1String("deny"))
            app.allow = *access == QLatin1String("allow");
        else {
            reader.error(QStringLiteral("access"), QStringLiteral("'%1' is not allow or deny").arg(access->left(40)));
            return std::nullopt;
        }
    }
    return app;
}

// What one `locked` entry names (docs/policy.md, "Locked keys"), or why it names nothing. A lock
// that names nothing protects nothing while IT believes it does: an error, never silently ignored.
QString lockedEntryProblem(const QString &entry, const QStringList &systemGroups)
{
    if (isKnown(generalKeys(), entry) || entry == RolesGroup || entry == QLatin1String("apps"))
        return {};
    const qsizetype slash = entry.indexOf(QLatin1Char('/'));
    const QString group = slash < 0 ? entry : entry.left(slash);
    const QString key = slash < 0 ? QString() : entry.mid(slash + 1);
    const QString shown = entry.left(80);
    if (group == RolesGroup && !key.isEmpty())
        return {}; // roles/<role>: one role's sources
    if (group == GeneralGroup)
        return QStringLiteral("'%1': general keys are locked by their name alone; write '%2'").arg(shown, key.left(80));
    const bool provider = group.startsWith(ProviderPrefix);
    if (provider || group.startsWith(AppPrefix)) {
        if (!systemGroups.contains(group)) {
            QStringList defined = systemGroups.filter(QRegularExpression(QStringLiteral("^%1").arg(QRegularExpression::escape(provider ? ProviderPrefix : AppPrefix))));
            return QStringLiteral("'%1' names [%2], which the system configuration does not define; lock one it defines (%3)")
                .arg(shown, group.left(80), defined.isEmpty() ? QStringLiteral("none") : defined.join(QStringLiteral(", ")));
        }
        const QList<KeySpec> &keys = provider ? providerKeys() : appKeys();
        if (!key.isEmpty() && !isKnown(keys, key))
            return QStringLiteral("'%1': %2 is not a key of [%3]; known keys are %4").arg(shown, key.left(80), group, keyNames(keys).join(QStringLiteral(", ")));
        return {};
    }
    return QStringLiteral("'%1' is not a key or group Signet knows; lock a general key by its name, roles, roles/<role>, apps, "
                          "provider.<id>, provider.<id>/<key>, app.<id> or app.<id>/<key>").arg(shown);
}

} // namespace

QStringList ConfigLoader::knownKeys(const QString &groupKind)
{
    if (groupKind == QLatin1String("app"))
        return keyNames(appKeys());
    return keyNames(groupKind == QLatin1String("provider") ? providerKeys() : generalKeys());
}

Config ConfigLoader::load(const ConfigSources &sources)
{
    Config config;
    QMap<QString, RawGroup> groups;

    // Lowest priority first, so each later file overrides key by key.
    for (auto it = sources.systemFiles.crbegin(); it != sources.systemFiles.crend(); ++it)
        readFile(*it, false, &groups, &config.files, &config.problems);
    // The registry's policy (Windows) is IT's too, and wins over every file.
    if (!sources.policyRegistry.isEmpty())
        readPolicySettings(sources.policyRegistry, sources.policyRegistryFormat, &groups, &config.files, &config.problems);

    // What the system files lock, the user's file cannot change: a general key by name, the whole
    // [roles] group as "roles", a provider group as "provider.<id>", one of its keys as
    // "provider.<id>/<key>". (docs/policy.md says what this can and cannot enforce.)
    const QStringList systemGroups = groups.keys();
    if (groups.value(GeneralGroup).contains(QStringLiteral("locked"))) {
        const RawValue locked = groups.value(GeneralGroup).value(QStringLiteral("locked"));
        const QStringList raw = locked.value.userType() == QMetaType::QStringList ? locked.value.toStringList() : QStringList{locked.value.toString()};
        for (const QString &part : raw)
            config.lockedKeys += part.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts);
        config.lockedKeys.removeDuplicates();
        for (const QString &entry : std::as_const(config.lockedKeys)) {
            const QString problem = lockedEntryProblem(entry, systemGroups);
            if (!problem.isEmpty())
                config.problems.append({ConfigProblem::Severity::Error, locked.file, GeneralGroup, QStringLiteral("locked"), problem});
        }
        config.lockedKeys << QStringLiteral("locked");
        config.lockedKeys.removeDuplicates();
    }
    auto isLocked = [&](const QString &group, const QString &key) {
        if (group == GeneralGroup)
            return config.lockedKeys.contains(key);
        // A locked allowed_domains also covers every provider's own allowed_domains, which would
        // otherwise replace it.
        if (group.startsWith(ProviderPrefix) && key == QLatin1String("allowed_domains") && config.lockedKeys.contains(key))
            return true;
        // "apps" locks every [app.<id>] group: the user's file can then neither add nor change grants.
        if (group.startsWith(AppPrefix) && config.lockedKeys.contains(QStringLiteral("apps")))
            return true;
        return config.lockedKeys.contains(group) || config.lockedKeys.contains(group + QLatin1Char('/') + key);
    };
    // While IT locks the policy, a user's file cannot bring in a provider of its own (one pointing at
    // an identity provider the user runs would vouch for anyone).
    static const QStringList policyKeys{QStringLiteral("allowed_domains"), QStringLiteral("auto_register"), QStringLiteral("preregistered"),
                                        QStringLiteral("staff"), QStringLiteral("admins"), QStringLiteral("roles")};
    const bool policyLocked = std::any_of(policyKeys.cbegin(), policyKeys.cend(), [&](const QString &key) { return config.lockedKeys.contains(key); });

    if (!sources.userFile.isEmpty()) {
        QMap<QString, RawGroup> user;
        readFile(sources.userFile, sources.userFileRequired, &user, &config.files, &config.problems);
        for (auto group = user.cbegin(); group != user.cend(); ++group) {
            if (policyLocked && group.key().startsWith(ProviderPrefix) && !systemGroups.contains(group.key())) {
                config.problems.append({ConfigProblem::Severity::Warning, group.value().isEmpty() ? QString() : group.value().first().file, group.key(), {},
                                        QStringLiteral("providers cannot be added while the system configuration locks the policy; ignored")});
                continue;
            }
            for (auto it = group.value().cbegin(); it != group.value().cend(); ++it) {
                // Whoever writes `locked` here means to protect something, and nothing is: an error.
                if (group.key() == GeneralGroup && it.key() == QLatin1String("locked")) {
                    config.problems.append({ConfigProblem::Severity::Error, it.value().file, group.key(), it.key(),
                                            QStringLiteral("only the system configuration can lock keys; remove locked from this file")});
                    continue;
                }
                if (isLocked(group.key(), it.key())) {
                    config.problems.append({ConfigProblem::Severity::Warning, it.value().file, group.key(), it.key(),
                                            QStringLiteral("is locked by the system configuration; the value here is ignored")});
                    continue;
                }
                groups[group.key()][it.key()] = it.value();
            }
        }
    }

    const RawGroup general = groups.value(GeneralGroup);
    GroupReader reader(general, GeneralGroup, &config.problems);
    for (auto it = general.cbegin(); it != general.cend(); ++it) {
        if (!isKnown(generalKeys(), it.key()))
            reader.unknownKey(it.key(), keyNames(generalKeys()));
    }
    config.sessionAge = reader.duration(QStringLiteral("session_age"), 60s, 7 * 24h).value_or(config.sessionAge);
    config.maxSessionAge = reader.duration(QStringLiteral("max_session_age"), 60s, 90 * 24h).value_or(std::max(config.maxSessionAge, config.sessionAge));
    if (config.maxSessionAge < config.sessionAge)
        reader.error(QStringLiteral("max_session_age"), QStringLiteral("is shorter than session_age; make it at least as long"));
    config.requireKeychain = reader.boolean(QStringLiteral("require_keychain")).value_or(true);
    if (const auto renew = reader.string(QStringLiteral("renew"))) {
        if (*renew == QLatin1String("silent") || *renew == QLatin1String("off"))
            config.renewSilently = *renew == QLatin1String("silent");
        else
            reader.error(QStringLiteral("renew"), QStringLiteral("'%1' is not silent or off").arg(renew->left(40)));
    }
    if (const auto browser = reader.string(QStringLiteral("browser"))) {
        if (*browser == QLatin1String("system") || *browser == QLatin1String("embedded"))
            config.embeddedBrowser = *browser == QLatin1String("embedded");
        else
            reader.error(QStringLiteral("browser"), QStringLiteral("'%1' is not system or embedded").arg(browser->left(40)));
    }
    if (const auto message = reader.string(QStringLiteral("signin_message"))) {
        if (message->size() > 500)
            reader.warning(QStringLiteral("signin_message"), QStringLiteral("is longer than 500 characters; the rest is not shown"));
        config.signInMessage = message->left(500);
    }
    config.stateTimeout = reader.duration(QStringLiteral("state_timeout"), 1s, 1h).value_or(config.stateTimeout);
    config.httpTimeout = reader.duration(QStringLiteral("http_timeout"), 1s, 300s).value_or(config.httpTimeout);
    if (const auto ca = reader.caFile(QStringLiteral("ca_file"))) {
        config.caFile = ca->first;
        config.extraCaCertificates = ca->second;
    }
    readPolicy(reader, groups.value(RolesGroup), &config);
    if (const auto unknownApps = reader.string(QStringLiteral("unknown_apps"))) {
        if (*unknownApps == QLatin1String("prompt"))
            config.unknownApps = UnknownApps::Prompt;
        else if (*unknownApps == QLatin1String("deny"))
            config.unknownApps = UnknownApps::Deny;
        else if (*unknownApps == QLatin1String("allow"))
            config.unknownApps = UnknownApps::Allow;
        else
            reader.error(QStringLiteral("unknown_apps"), QStringLiteral("'%1' is not prompt, deny or allow").arg(unknownApps->left(40)));
    }
    if (const auto whoami = reader.string(QStringLiteral("whoami"))) {
        if (*whoami == QLatin1String("any") || *whoami == QLatin1String("granted"))
            config.whoamiNeedsGrant = *whoami == QLatin1String("granted");
        else
            reader.error(QStringLiteral("whoami"), QStringLiteral("'%1' is not any or granted").arg(whoami->left(40)));
    }

    QStringList configuredIds;
    for (auto it = groups.cbegin(); it != groups.cend(); ++it) {
        if (it.key() == GeneralGroup || it.key() == RolesGroup)
            continue;
        if (it.key().startsWith(ProviderPrefix)) {
            configuredIds << it.key().mid(ProviderPrefix.size());
        } else if (it.key().startsWith(AppPrefix)) {
            if (const auto app = readApp(it.key().mid(AppPrefix.size()), it.value(), &config.problems))
                config.apps << *app;
        } else {
            const QString file = it.value().isEmpty() ? QString() : it.value().first().file;
            config.problems.append({ConfigProblem::Severity::Warning, file, it.key(), {},
                                    QStringLiteral("unknown group, ignored; providers go in groups named [provider.<id>], app grants in [app.<id>]"), true});
        }
    }

    QStringList enabledIds = configuredIds; // QMap keeps them sorted: alphabetical by default
    if (const auto order = reader.list(QStringLiteral("providers"))) {
        enabledIds.clear();
        for (const QString &id : *order) {
            if (!configuredIds.contains(id))
                reader.error(QStringLiteral("providers"), QStringLiteral("names '%1', but there is no [provider.%1] group").arg(id));
            else if (!enabledIds.contains(id))
                enabledIds << id;
        }
        for (const QString &id : std::as_const(configuredIds)) {
            if (!enabledIds.contains(id)) {
                config.problems.append({ConfigProblem::Severity::Warning, groups.value(ProviderPrefix + id).first().file,
                                        ProviderPrefix + id, {}, QStringLiteral("is not listed in 'providers' and is therefore disabled")});
            }
        }
    }

    for (const QString &id : std::as_const(enabledIds)) {
        ProviderConfig provider = readProvider(id, groups.value(ProviderPrefix + id), config);
        if (!provider.enabled) {
            config.problems.append({ConfigProblem::Severity::Warning, groups.value(ProviderPrefix + id).value(QStringLiteral("enabled")).file,
                                    ProviderPrefix + id, QStringLiteral("enabled"), QStringLiteral("is false: the provider is not offered")});
            continue;
        }
        config.providers << provider;
    }
    // Without an explicit list, `order` decides (ties stay alphabetical).
    if (!reader.has(QStringLiteral("providers"))) {
        std::stable_sort(config.providers.begin(), config.providers.end(), [](const ProviderConfig &a, const ProviderConfig &b) { return a.order < b.order; });
    } else {
        for (const auto &provider : std::as_const(config.providers)) {
            if (groups.value(ProviderPrefix + provider.id).contains(QStringLiteral("order")))
                config.problems.append({ConfigProblem::Severity::Warning, groups.value(ProviderPrefix + provider.id).value(QStringLiteral("order")).file,
                                        ProviderPrefix + provider.id, QStringLiteral("order"), QStringLiteral("is ignored: [general] providers sets the order")});
        }
    }

    for (const auto &problem : config.allProblems()) {
        if (problem.isError())
            qCWarning(lcConfig).noquote() << problem.toString();
        else
            qCInfo(lcConfig).noquote() << problem.toString();
    }
    return config;
}

} // namespace Signet
