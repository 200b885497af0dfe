// signet: the window. Just another client of signet-agent (docs/ipc.md); all it does is start Qt,
// read the command line and load the QML module Signet.App.

#include "signet-version.h"

#include <QCommandLineParser>
#include <QDir>
#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlExtensionPlugin>
#include <QUrl>

#include <cstdio>
#include <cstring>
#include <memory>

Q_IMPORT_QML_PLUGIN(Signet_AppPlugin)

namespace {

// --help and --version must work without a display (scripts, packaging checks, CI): only create
// a GUI application when a window will be shown.
std::unique_ptr<QCoreApplication> createApplication(int &argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        for (const char *option : {"-h", "--help", "-?", "-v", "--version"}) {
            if (std::strcmp(argv[i], option) == 0)
                return std::make_unique<QCoreApplication>(argc, argv);
        }
    }
    return std::make_unique<QGuiApplication>(argc, argv);
}

} // namespace

int main(int argc, char *argv[])
{
    const std::unique_ptr<QCoreApplication> app = createApplication(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("signet"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SIGNET_VERSION));
    QCoreApplication::setOrganizationName(QStringLiteral("Signet"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Sign in to your organisation on this desktop, see who is signed in, sign out.\n"
                                                    "The window talks to signet-agent, which must be running."));
    parser.addHelpOption();
    const QCommandLineOption versionOption(QStringList{QStringLiteral("v"), QStringLiteral("version")},
                                           QStringLiteral("Print the version and exit."));
    parser.addOption(versionOption);
    const QCommandLineOption socketOption(QStringLiteral("socket"),
                                          QStringLiteral("The agent's socket (default: $XDG_RUNTIME_DIR/signet/agent.sock)."),
                                          QStringLiteral("path"));
    parser.addOption(socketOption);
    const QCommandLineOption noBrowserOption(QStringLiteral("no-browser"),
                                             QStringLiteral("Do not open the browser for signing in; show the address only."));
    parser.addOption(noBrowserOption);
    parser.process(*app);

    if (parser.isSet(versionOption)) {
        std::printf("signet %s\n", SIGNET_VERSION);
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr, "signet: unexpected argument '%s'; see 'signet --help'\n", qPrintable(parser.positionalArguments().constFirst()));
        return 2;
    }

    QGuiApplication::setApplicationDisplayName(QStringLiteral("Signet"));
    QGuiApplication::setDesktopFileName(QStringLiteral("signet"));

    QQmlApplicationEngine engine;
    QString socketPath = parser.value(socketOption);
    if (!socketPath.isEmpty())
        socketPath = QDir::current().absoluteFilePath(socketPath);
    engine.setInitialProperties({
        {QStringLiteral("socketPath"), socketPath},
        {QStringLiteral("openBrowser"), !parser.isSet(noBrowserOption)},
    });

    // Qt 6.4 has no QQmlApplicationEngine::loadFromModule(); the module's files are in qrc.
    const QUrl mainUrl(QStringLiteral("qrc:/qt/qml/Signet/App/Main.qml"));
    QObject::connect(
        &engine, &QQmlApplicationEngine::objectCreated, app.get(),
        [mainUrl](QObject *object, const QUrl &url) {
            if (!object && url == mainUrl) {
                std::fprintf(stderr, "signet: the window could not be loaded (see the QML errors above)\n");
                QCoreApplication::exit(1);
            }
        },
        Qt::QueuedConnection);
    engine.load(mainUrl);
    if (engine.rootObjects().isEmpty()) {
        std::fprintf(stderr, "signet: the window could not be loaded (see the QML errors above)\n");
        return 1;
    }
    return app->exec();
}
