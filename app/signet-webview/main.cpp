// signet-webview: the provider's sign-in page in a window of its own, for kiosks where policy says
// `browser = embedded` (docs/configuration.md). A separate program so that Chromium (Qt WebEngine)
// is only loaded when it is needed, never by every start of `signet`. It is given the authorization
// URL, shows it, and closes once the provider has sent the browser back to the agent's loopback
// address (redirect_uri): the agent takes the code from that request itself, as from any browser.
//
// RFC 8252 §8.12 prefers the system browser; this exists for kiosks that have none. Google refuses
// embedded browsers, so `signet` never uses it for Google.

#include "signet-version.h"

#include <QCommandLineParser>
#include <QGuiApplication>
#include <QHostAddress>
#include <QLocale>
#include <QLoggingCategory>
#include <QQmlApplicationEngine>
#include <QQuickWindow>
#include <QTranslator>
#include <QUrl>
#include <QUrlQuery>
#include <QtWebEngineQuick/qtwebenginequickglobal.h>

#include <cstdio>
#include <cstring>
#include <memory>

namespace {

Q_LOGGING_CATEGORY(lcWebView, "signet.webview", QtInfoMsg)

// The redirect_uri of an authorization request, when it is a loopback address (RFC 8252 §7.3);
// otherwise empty, and the window stays until the person closes it.
QUrl loopbackRedirect(const QUrl &authorizationUrl)
{
    const QUrl redirect(QUrlQuery(authorizationUrl).queryItemValue(QStringLiteral("redirect_uri"), QUrl::FullyDecoded), QUrl::StrictMode);
    const QHostAddress host(redirect.host());
    if (redirect.scheme() != QLatin1String("http") || host.isNull() || !host.isLoopback())
        return {};
    return redirect;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication::setOrganizationName(QStringLiteral("Signet"));
    QCoreApplication::setApplicationName(QStringLiteral("signet-webview"));
    QCoreApplication::setApplicationVersion(QStringLiteral(SIGNET_VERSION));
    // --help and --version need neither a display nor Chromium.
    bool informationOnly = false;
    for (int i = 1; i < argc; ++i) {
        for (const char *option : {"-h", "--help", "-?", "-v", "--version"})
            informationOnly = informationOnly || std::strcmp(argv[i], option) == 0;
    }
    if (!informationOnly) {
        // Must come before the application object (Qt WebEngine shares OpenGL contexts).
        QtWebEngineQuick::initialize();
    }
    std::unique_ptr<QCoreApplication> application =
        informationOnly ? std::make_unique<QCoreApplication>(argc, argv) : std::make_unique<QGuiApplication>(argc, argv);
    QCoreApplication &app = *application;
    QTranslator translator;
    if (translator.load(QLocale(), QStringLiteral("signet"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(&translator);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Shows a sign-in page for Signet in a window of its own and closes when the "
                                                    "sign-in returns to the agent. Started by 'signet' when policy says browser = embedded."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("url"), QStringLiteral("The authorization URL (http or https)."));
    const QCommandLineOption benchOption(QStringLiteral("bench"), QStringLiteral("Report the first frame on standard output (bench/startup.mjs)."));
    parser.addOption(benchOption);
    parser.process(app);
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Signet"));

    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1) {
        std::fprintf(stderr, "signet-webview: give exactly one URL; see 'signet-webview --help'\n");
        return 2;
    }
    const QUrl url(positional.constFirst(), QUrl::StrictMode);
    const bool benchPage = parser.isSet(benchOption) && url.scheme() == QLatin1String("data");
    if (!url.isValid() || (!benchPage && url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http"))) {
        std::fprintf(stderr, "signet-webview: '%s' is not an http or https URL\n", qPrintable(positional.constFirst().left(200)));
        return 2;
    }
    const QUrl redirect = loopbackRedirect(url);
    // Only where the page comes from: the URL's query carries the state and PKCE challenge.
    qCInfo(lcWebView).noquote() << "showing the sign-in page of" << url.host() << (redirect.isEmpty() ? "(no loopback redirect)" : "");

    QQmlApplicationEngine engine;
    engine.setInitialProperties({
        {QStringLiteral("startUrl"), url},
        {QStringLiteral("redirectPrefix"), redirect.isEmpty() ? QString() : redirect.toString(QUrl::RemoveQuery | QUrl::RemoveFragment)},
    });
    engine.load(QUrl(QStringLiteral("qrc:/signet-webview/WebView.qml")));
    if (engine.rootObjects().isEmpty())
        return 1;
    if (parser.isSet(benchOption)) {
        if (auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst())) {
            QObject::connect(
                window, &QQuickWindow::frameSwapped, window,
                [] {
                    std::fputs("signet-webview: first frame\n", stdout);
                    std::fflush(stdout);
                },
                Qt::SingleShotConnection);
        }
    }
    return app.exec();
}
