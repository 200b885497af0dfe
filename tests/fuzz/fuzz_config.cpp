// Fuzzes ConfigLoader::load: any bytes as configuration files (our syntax check, then QSettings).
//
// Input: the user's file. If it contains a form feed (\f), the bytes before the first one are a system
// file and the rest the user's file, layered on top (as with /etc/xdg and ~/.config).
// Each run writes files with names never used before: QSettings caches parsed files by name, size
// and modification time, and would otherwise hand back an earlier input.
//
// Checks, besides "never crashes": every problem names the file it is about (one of ours, possibly
// with ":<line>"), values that were accepted are inside their documented ranges, a provider that
// is available has everything docs/configuration.md requires, and no accepted value spans lines
// (the syntax check reads the file line by line; a value QSettings continued over the next lines
// would hide those lines from it).

#include "fuzzsupport.h"

#include "config/config.h"
#include "net/wellformed.h"
#include "policy/emaildomain.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QSet>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace std::chrono_literals;
using Signet::Config;
using Signet::ConfigLoader;
using Signet::ConfigProblem;
using Signet::ConfigSources;

namespace {

QTemporaryDir *directory = nullptr;

void removeDirectory()
{
    delete directory;
    directory = nullptr;
}

void writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size())
        SignetFuzz::fail("writing the input file", __FILE__, __LINE__, path + QStringLiteral(": ") + file.errorString());
}

bool oneLine(const QString &value)
{
    return !value.contains(QLatin1Char('\n')) && !value.contains(QLatin1Char('\r'));
}

// What an endpoint URL must be when the loader accepted it (also the ones it builds: Microsoft's
// issuer from authority_host and tenant, GitHub's endpoints from host).
bool acceptableUrl(const QUrl &url)
{
    if (!url.isValid() || url.host().isEmpty() || url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
        return false;
    return url.scheme() == QLatin1String("https") || (url.scheme() == QLatin1String("http") && Signet::isLoopbackHost(url.host()));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    SignetFuzz::initialize(argc, argv);
    directory = new QTemporaryDir(QDir::temp().filePath(QStringLiteral("signet-fuzz-config-XXXXXX")));
    if (!directory->isValid())
        SignetFuzz::fail("QTemporaryDir", __FILE__, __LINE__, directory->errorString());
    std::atexit(removeDirectory);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static quint64 run = 0;
    ++run;
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype split = input.indexOf('\f');

    ConfigSources sources;
    const QString systemFile = directory->filePath(QStringLiteral("system-%1.conf").arg(run));
    const QString userFile = directory->filePath(QStringLiteral("user-%1.conf").arg(run));
    // A missing system directory, as /etc/xdg usually is, and possibly a real system file.
    sources.systemFiles << directory->filePath(QStringLiteral("absent/signet.conf"));
    if (split >= 0) {
        writeFile(systemFile, input.left(split));
        sources.systemFiles << systemFile;
    }
    writeFile(userFile, split >= 0 ? input.mid(split + 1) : input);
    sources.userFile = userFile;
    sources.userFileRequired = true;

    const Config config = ConfigLoader::load(sources);

    QFile::remove(systemFile);
    QFile::remove(userFile);

    // Called only when a check fails: FUZZ_CHECK evaluates its message lazily.
    const auto what = [&] { return QStringLiteral(" (input: %1)").arg(SignetFuzz::printable(input)); };
    const auto ours = [&](const QString &file) {
        for (const QString &path : {systemFile, userFile}) {
            if (file == path || file.startsWith(path + QLatin1Char(':')))
                return split >= 0 || path == userFile;
        }
        return false;
    };

    for (const ConfigProblem &problem : config.allProblems()) {
        FUZZ_CHECK(!problem.file.isEmpty(), problem.toString() + what());
        FUZZ_CHECK(ours(problem.file), QStringLiteral("names a file that was not read: ") + problem.toString() + what());
        FUZZ_CHECK(!problem.message.isEmpty(), problem.toString() + what());
        FUZZ_CHECK(problem.toString().startsWith(problem.file), problem.toString() + what());
    }
    for (const QString &file : config.files)
        FUZZ_CHECK(file == userFile || (split >= 0 && file == systemFile), file + what());

    FUZZ_CHECK(oneLine(config.caFile), config.caFile + what());
    FUZZ_CHECK(config.sessionAge >= 60s && config.sessionAge <= 7 * 24h, QString::number(config.sessionAge.count()) + what());
    FUZZ_CHECK(config.stateTimeout >= 1s && config.stateTimeout <= 1h, QString::number(config.stateTimeout.count()) + what());
    FUZZ_CHECK(config.httpTimeout >= 1s && config.httpTimeout <= 300s, QString::number(config.httpTimeout.count()) + what());

    QSet<QString> ids;
    for (const auto &provider : config.providers) {
        FUZZ_CHECK(!ids.contains(provider.id), QStringLiteral("provider '%1' twice").arg(provider.id) + what());
        ids.insert(provider.id);
        FUZZ_CHECK(config.provider(provider.id) == &provider, provider.id + what());
        FUZZ_CHECK(provider.httpTimeout >= 1s && provider.httpTimeout <= 300s, provider.id + what());
        FUZZ_CHECK(provider.isAvailable() == provider.firstError().isEmpty(), provider.id + what());
        if (!provider.isAvailable())
            continue;
        const QString where = QStringLiteral("available provider '%1': ").arg(provider.id);
        for (const QString &value : QStringList{provider.type, provider.displayName, provider.clientId, provider.clientSecret, provider.caFile} + provider.scopes)
            FUZZ_CHECK(oneLine(value), where + QStringLiteral("a value over several lines: '%1'").arg(value) + what());
        static const QStringList types{QStringLiteral("oidc"), QStringLiteral("google"), QStringLiteral("microsoft"), QStringLiteral("github")};
        FUZZ_CHECK(types.contains(provider.type), where + provider.type + what());
        FUZZ_CHECK(!provider.clientId.isEmpty(), where + QStringLiteral("no client_id") + what());
        // OpenID Connect everywhere except GitHub, which is OAuth with its user API (and needs the secret).
        if (provider.type == QLatin1String("github")) {
            FUZZ_CHECK(!provider.scopes.contains(QStringLiteral("openid")), where + provider.scopes.join(QLatin1Char(' ')) + what());
            FUZZ_CHECK(!provider.clientSecret.isEmpty(), where + QStringLiteral("github without client_secret") + what());
            FUZZ_CHECK(acceptableUrl(provider.apiUrl), where + provider.apiUrl.toString() + what());
        } else {
            FUZZ_CHECK(provider.scopes.contains(QStringLiteral("openid")), where + provider.scopes.join(QLatin1Char(' ')) + what());
        }
        // The issuer (for Microsoft built from authority_host and tenant; for GitHub the host).
        FUZZ_CHECK(acceptableUrl(provider.issuer), where + provider.issuer.toString() + what());
        if (provider.type == QLatin1String("microsoft")) {
            FUZZ_CHECK(acceptableUrl(provider.authorityHost) && acceptableUrl(provider.graphUrl), where + provider.authorityHost.toString() + what());
            FUZZ_CHECK(!provider.tenant.isEmpty() && oneLine(provider.tenant), where + provider.tenant + what());
        }
        for (const QUrl &endpoint : {provider.authorizationEndpoint, provider.tokenEndpoint, provider.userinfoEndpoint, provider.deviceAuthorizationEndpoint})
            FUZZ_CHECK(endpoint.isEmpty() || acceptableUrl(endpoint), where + endpoint.toString() + what());
        for (const QString &domain : provider.allowedDomains.value_or(QStringList{}))
            FUZZ_CHECK(domain == QLatin1String("*") || Signet::EmailDomain::normalize(domain) == domain, where + domain + what());
    }
    return 0;
}
