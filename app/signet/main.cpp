// signet: the window. Just another client of signet-agent (docs/ipc.md); all it does is start Qt,
// read the command line, make sure it is the only window and that an agent runs, and load the QML
// module Signet.App.

#include "agentlauncher.h"
#include "desktopappearance.h"
#include "singleinstance.h"
#include "signet-version.h"

#include "ipc/agentclient.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QLoggingCategory>
#include <QQmlApplicationEngine>
#include <QQmlExtensionPlugin>
#include <QQuickWindow>
#include <QSystemTrayIcon>
#include <QTranslator>
#include <QUrl>

#include <cstdio>
#include <cstring>
#include <memory>

Q_IMPORT_QML_PLUGIN(Signet_AppPlugin)

namespace {

Q_LOGGING_CATEGORY(lcApp, "signet.ui.app", QtInfoMsg)

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
    // QApplication (not QGuiApplication): Qt.labs.platform's tray icon is backed by Qt Widgets.
    return std::make_unique<QApplication>(argc, argv);
}

// The window in the person's language (resources/translations, built into the binary); any
// language without a translation is English, the source language.
void installTranslations(QCoreApplication &app)
{
    auto *translator = new QTranslator(&app);
    if (translator->load(QLocale(), QStringLiteral("signet"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(translator);
    // Qt's own strings (the text field's context menu, ...).
    auto *qtTranslator = new QTranslator(&app);
    if (qtTranslator->load(QLocale(), QStringLiteral("qt"), QStringLiteral("_"), QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qtTranslator);
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
                                                    "The window talks to signet-agent and starts it when none runs (see docs/window.md)."));
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
    const QCommandLineOption noAgentOption(QStringLiteral("no-start-agent"),
                                           QStringLiteral("Do not start signet-agent when none runs."));
    parser.addOption(noAgentOption);
    const QCommandLineOption newInstanceOption(QStringLiteral("new-instance"),
                                               QStringLiteral("Open a window even if one is open already (for testing)."));
    parser.addOption(newInstanceOption);
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
    // The installed desktop entry and icon (installer/: SIGNET_APP_ID): Wayland compositors and
    // taskbars match the window to them by this name.
    QGuiApplication::setDesktopFileName(QStringLiteral("invalid.signet.Signet"));
    QGuiApplication::setWindowIcon(QIcon::fromTheme(QStringLiteral("invalid.signet.Signet"), QIcon(QStringLiteral(":/signet/icons/signet.svg"))));
    installTranslations(*app);
    // Light or dark as the desktop says (the portal's colour scheme; Qt 6.4 does not read it).
    Signet::DesktopAppearance appearance;
    appearance.start();

    // One window per user: a second launch brings the first to the front and ends.
    Signet::SingleInstance instance;
    if (!parser.isSet(newInstanceOption)) {
        switch (instance.claim()) {
        case Signet::SingleInstance::Role::Secondary:
            qCInfo(lcApp) << "a Signet window is open already; it was brought to the front";
            return 0;
        case Signet::SingleInstance::Role::Failed:
            qCWarning(lcApp).noquote() << instance.errorString();
            break;
        case Signet::SingleInstance::Role::Primary:
            break;
        }
    }

    QString socketPath = parser.value(socketOption);
    if (!socketPath.isEmpty()) {
        socketPath = QDir::current().absoluteFilePath(socketPath);
    } else if (!parser.isSet(noAgentOption)) {
        // Only for the default socket: an agent started here would not listen on a --socket path.
        QString message;
        const QString agent = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("signet-agent"));
        if (Signet::ensureAgentRunning(Signet::AgentClient::defaultSocketPath(), agent, &message) == Signet::AgentLaunch::Failed)
            qCInfo(lcApp).noquote() << message;
    }

    // With a tray icon, closing the window hides it; the tray (or another launch) brings it back.
    const bool tray = QSystemTrayIcon::isSystemTrayAvailable() && !qEnvironmentVariableIsSet("SIGNET_NO_TRAY");
    QGuiApplication::setQuitOnLastWindowClosed(!tray);

    QQmlApplicationEngine engine;
    engine.setInitialProperties({
        {QStringLiteral("socketPath"), socketPath},
        {QStringLiteral("openBrowser"), !parser.isSet(noBrowserOption)},
        {QStringLiteral("trayEnabled"), tray},
        {QStringLiteral("screenshotDir"), qEnvironmentVariable("SIGNET_SCREENSHOT_DIR")},
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
    // For bench/startup.mjs: say when the first frame is on screen (start-up time is measured from outside).
    if (qEnvironmentVariableIsSet("SIGNET_REPORT_FIRST_FRAME")) {
        if (auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst())) {
            QObject::connect(
                window, &QQuickWindow::frameSwapped, window,
                [] {
                    std::fputs("signet: first frame\n", stdout);
                    std::fflush(stdout);
                },
                Qt::SingleShotConnection);
        }
    }
    QObject::connect(&instance, &Signet::SingleInstance::activationRequested, &engine, [&engine] {
        if (auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst())) {
            window->show();
            window->raise();
            window->requestActivate();
        }
    });
    return app->exec();
}
