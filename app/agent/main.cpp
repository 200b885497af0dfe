// signet-agent: the long-running, GUI-less owner of sign-in, the session and the socket.

#include "agent/agent.h"
#include "auth/discovery.h"
#include "config/config.h"
#include "config/configwatcher.h"
#include "ipc/ipcserver.h"
#include "ipc/socketactivation.h"
#include "logging/logging.h"
#include "logging/secretredactor.h"
#include "net/boundednetworkaccessmanager.h"
#include "policy/accountregistry.h"
#include "providers/providerrules.h"
#include "store/sessionstore.h"

#include "signet-version.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSocketNotifier>

#include <csignal>
#include <functional>
#include <algorithm>
#include <cstdio>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

int s_signalPipe[2] = {-1, -1};

void onSignal(int signal)
{
    const char byte = signal == SIGHUP ? 'H' : 'T';
    [[maybe_unused]] const auto written = ::write(s_signalPipe[1], &byte, 1);
}

// SIGTERM/SIGINT call `stop`, which ends the event loop normally (so the socket is removed and the
// lock released). SIGHUP reloads the configuration.
void handleSignals(QCoreApplication *app, const std::function<void()> &stop, const std::function<void()> &reload)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s_signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(s_signalPipe[0], QSocketNotifier::Read, app);
    QObject::connect(notifier, &QSocketNotifier::activated, app, [stop, reload] {
        char byte;
        if (::read(s_signalPipe[0], &byte, 1) == 1 && byte == 'H') {
            qCInfo(lcAgent) << "reloading the configuration on SIGHUP";
            reload();
            return;
        }
        qCInfo(lcAgent) << "stopping on signal";
        stop();
    });
    struct sigaction action {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGHUP, &action, nullptr);
}

int checkConfig(const Signet::Config &config)
{
    const auto problems = config.allProblems();
    int errors = 0;
    for (const auto &problem : problems) {
        // The running agent ignores an unknown key or group; a check before roll-out fails on it,
        // since a misspelt key silently keeps the default the administrator meant to change.
        const bool error = problem.isError() || problem.unknownName;
        fprintf(stderr, "%s: %s\n", error ? "error" : "warning", qPrintable(problem.toString()));
        errors += error ? 1 : 0;
    }
    if (config.files.isEmpty())
        fprintf(stderr, "warning: no configuration file was found; no provider is configured\n");
    printf("%s: %d error(s), %d warning(s) in %s\n", errors ? "FAIL" : "OK", errors, int(problems.size() - errors),
           config.files.isEmpty() ? "(no files)" : qPrintable(config.files.join(QStringLiteral(", "))));
    return errors ? 8 : 0;
}

// --check-network: fetches every usable provider's discovery document, each within its
// http_timeout, all at once. Returns the number of providers that could not be reached.
int checkNetwork(const Signet::Config &config)
{
    // Each failure is printed below with its file, group and key; the library's own warning would repeat it.
    QLoggingCategory::setFilterRules(QStringLiteral("signet.auth.warning=false"));
    int failures = 0;
    int running = 0;
    QEventLoop loop;
    // Where the provider is defined, when that is one file (as with --check-config POLICY).
    const QString file = config.files.size() == 1 ? config.files.first() : QString();
    for (const auto &provider : config.providers) {
        const auto rules = Signet::ProviderRules::create(provider);
        if (!provider.isAvailable() || !rules)
            continue; // its configuration errors are already printed
        const QString group = QStringLiteral("provider.") + provider.id;
        const QString key = provider.type == QStringLiteral("microsoft") ? QStringLiteral("tenant") : QStringLiteral("issuer");
        if (!rules->usesDiscovery()) {
            printf("skipped: [%s]: %s has no discovery document to fetch\n", qPrintable(group), qPrintable(provider.type));
            continue;
        }
        auto *network = new Signet::BoundedNetworkAccessManager(provider.httpTimeout, &loop);
        network->setExtraCaCertificates(provider.extraCaCertificates);
        auto *discovery = new Signet::OidcDiscovery(network, provider.issuer, provider.displayName, &loop);
        discovery->setIssuerCheck(rules->discoveryIssuerCheck());
        ++running;
        const QString url = Signet::OidcDiscovery::discoveryUrl(provider.issuer).toString();
        QObject::connect(discovery, &Signet::OidcDiscovery::finished, &loop, [&, discovery, group, key, url] {
            if (discovery->error().isError()) {
                ++failures;
                const Signet::ConfigProblem problem{Signet::ConfigProblem::Severity::Error, file, group, key,
                                                    discovery->error().message};
                fprintf(stderr, "error: %s\n", qPrintable(problem.toString()));
            } else {
                printf("reachable: [%s]: %s\n", qPrintable(group), qPrintable(url));
            }
            if (--running == 0)
                loop.quit();
        });
        discovery->start();
    }
    if (running > 0)
        loop.exec();
    printf("%s: %d provider(s) unreachable\n", failures ? "FAIL" : "OK", failures);
    return failures;
}

} // namespace

int main(int argc, char *argv[])
{
    // The agent holds tokens: no core dumps, and no ptrace attach by other same-user processes
    // that are not its parent (Yama ptrace_scope permitting). See docs/threat-model.md.
    ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    // Room for IpcServer::MaxConnections clients plus the agent's own files: the soft limit is
    // often 1024, the hard one much higher.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < 4096) {
        files.rlim_cur = std::min<rlim_t>(4096, files.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &files);
    }

    if (qEnvironmentVariableIsEmpty("QT_MESSAGE_PATTERN"))
        qSetMessagePattern(QStringLiteral("signet-agent: %{if-category}%{category}: %{endif}%{message}"));
    Signet::SecretRedactor::install();

    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("signet-agent"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SIGNET_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Signet's agent: signs the desktop user in with their company identity and "
                                                    "answers companion apps on $XDG_RUNTIME_DIR/signet/agent.sock."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption configOption(QStringLiteral("config"),
                                          QStringLiteral("Read FILE on top of the system configuration instead of ~/.config/signet/signet.conf."),
                                          QStringLiteral("FILE"));
    const QCommandLineOption checkOption(QStringLiteral("check-config"),
                                         QStringLiteral("Check the configuration, print every problem and exit (0 = no errors, 8 = errors; an unknown "
                                                        "key or group counts as an error here)."));
    const QCommandLineOption networkOption(QStringLiteral("check-network"),
                                           QStringLiteral("With --check-config: also fetch each provider's discovery document (within its "
                                                          "http_timeout) and report the ones that cannot be reached."));
    parser.addOption(configOption);
    parser.addOption(checkOption);
    parser.addOption(networkOption);
    parser.addPositionalArgument(QStringLiteral("POLICY"), QStringLiteral("With --check-config: check POLICY as the system configuration alone "
                                                                         "(as in /etc/xdg/signet/signet.conf, where it may lock keys)."),
                                 QStringLiteral("[POLICY]"));
    parser.process(app);

    if (parser.isSet(networkOption) && !parser.isSet(checkOption)) {
        fprintf(stderr, "signet-agent: --check-network goes with --check-config; see --help\n");
        return 2;
    }
    // The configuration's problems first, then, when asked, what the network says.
    const auto check = [&](const Signet::Config &config) {
        const int result = checkConfig(config);
        if (!parser.isSet(networkOption))
            return result;
        return checkNetwork(config) > 0 ? 8 : result;
    };
    const QStringList positional = parser.positionalArguments();
    if (!positional.isEmpty() && (!parser.isSet(checkOption) || positional.size() > 1 || parser.isSet(configOption))) {
        fprintf(stderr, "signet-agent: a POLICY file goes with --check-config alone; see --help\n");
        return 2;
    }
    if (positional.size() == 1) {
        // An administrator checking a system policy before rolling it out.
        if (!QFileInfo(positional.first()).isFile()) {
            fprintf(stderr, "error: %s: the file does not exist\n", qPrintable(positional.first()));
            return 8;
        }
        Signet::ConfigSources sources;
        sources.systemFiles = {positional.first()};
        return check(Signet::ConfigLoader::load(sources));
    }

    const Signet::ConfigSources sources = Signet::ConfigSources::fromEnvironment(parser.value(configOption));
    const Signet::Config config = Signet::ConfigLoader::load(sources);
    if (parser.isSet(checkOption))
        return check(config);
    for (const auto &provider : config.providers) {
        Signet::SecretRedactor::addSecret(provider.clientSecret);
        Signet::SecretRedactor::addSecret(provider.deviceClientSecret);
    }
    if (config.hasGeneralErrors())
        qCWarning(lcAgent) << "the configuration has errors: sign-in is refused until they are fixed (run signet-agent --check-config)";

    // Signals are handled before the socket exists: a SIGTERM right after start must still remove it.
    std::function<void()> reload = [] {};
    std::function<void()> stop = [&app] { app.quit(); };
    handleSignals(&app, [&stop] { stop(); }, [&reload] { reload(); });

    QString error;
    const QString directory = Signet::IpcServer::defaultRuntimeDirectory(&error);
    Signet::IpcServer server;
    bool listening = false;
    if (!directory.isEmpty()) {
        // Under systemd (signet-agent.socket) the socket already exists and is handed over as fd 3.
        int activated = -1;
        switch (Signet::SocketActivation::adopt(QDir(directory).filePath(QStringLiteral("agent.sock")), &activated, &error)) {
        case Signet::SocketActivation::Outcome::Adopted: listening = server.listenOnDescriptor(activated, directory, &error); break;
        case Signet::SocketActivation::Outcome::NotActivated: listening = server.listen(directory, &error); break;
        case Signet::SocketActivation::Outcome::Refused: break;
        }
    }
    if (!listening) {
        fprintf(stderr, "signet-agent: %s\n", qPrintable(error));
        return 1;
    }

    // The keychain keeps the session across restarts (declared first: it outlives the agent).
    Signet::SessionStore store(Signet::AccountRegistry::defaultStateDirectory());
    Signet::Agent agent(config);
    agent.setSessionStore(&store);
    agent.serve(&server);
    agent.restoreSession();
    // Policy applies without a restart: on SIGHUP, and when the files change.
    reload = [&agent, sources] { agent.reconfigure(Signet::ConfigLoader::load(sources)); };
    // A keychain write or removal under way (a sign-out at logout, say) finishes first, for at most 3 s.
    stop = [&app, &store] { store.whenIdle(std::chrono::seconds(3), [&app] { app.quit(); }); };
    Signet::ConfigWatcher watcher(sources);
    QObject::connect(&watcher, &Signet::ConfigWatcher::changed, &agent, reload);
    return app.exec();
}
