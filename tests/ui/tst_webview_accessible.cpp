// signet-webview's window, in process (Qt WebEngine initialised before the application object, as
// signet-webview does): every control has an Accessible.name, the origin label says where the page comes
// from and whether the connection is encrypted, and Close is reachable by keyboard.

#include "quickitems.h"

#include <QGuiApplication>
#include <QQmlApplicationEngine>
#include <QQmlContext>
#include <QQuickItem>
#include <QQuickWindow>
#include <QTest>
#include <QtWebEngineQuick/qtwebenginequickglobal.h>

class tst_WebViewAccessible : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyControlIsNamed();
};

void tst_WebViewAccessible::everyControlIsNamed()
{
    QQmlApplicationEngine engine;
    QList<QQmlError> warnings;
    connect(&engine, &QQmlEngine::warnings, this, [&warnings](const QList<QQmlError> &w) { warnings += w; });
    // A page that needs no network: the label then names no host, the controls are what is checked.
    engine.setInitialProperties({{QStringLiteral("startUrl"), QUrl(QStringLiteral("about:blank"))}, {QStringLiteral("redirectPrefix"), QString()}});
    engine.load(QUrl::fromLocalFile(QStringLiteral(SIGNET_WEBVIEW_QML)));
    QVERIFY(!engine.rootObjects().isEmpty());
    auto *window = qobject_cast<QQuickWindow *>(engine.rootObjects().constFirst());
    QVERIFY(window);
    QVERIFY(QTest::qWaitForWindowExposed(window));

    QStringList named;
    // From the window's root: the header (origin and Close) is not under contentItem.
    QQuickItem *root = window->contentItem()->parentItem() ? window->contentItem()->parentItem() : window->contentItem();
    const auto items = allItems(root);
    for (QQuickItem *control : items) {
        if (!control->inherits("QQuickControl") && !control->inherits("QQuickLabel"))
            continue;
        QQmlContext *context = qmlContext(control);
        if (!context || !context->baseUrl().toString().endsWith(QLatin1String("WebView.qml")))
            continue; // the controls' own insides
        if (control->inherits("QQuickToolBar"))
            continue; // a container; what it holds is named
        const QString value = accessibleName(control);
        QVERIFY2(!value.isEmpty(), qPrintable(QStringLiteral("no Accessible.name: %1 %2").arg(QString::fromLatin1(control->metaObject()->className()), control->objectName())));
        named << control->objectName() + QLatin1Char('=') + value;
    }
    named.sort();
    QCOMPARE(named, (QStringList{QStringLiteral("closeButton=Close the sign-in page"), QStringLiteral("origin=Connection to about:blank")}));

    // Close takes the keyboard focus and acts on Space: a way out without a mouse.
    QQuickItem *close = nullptr;
    for (QQuickItem *item : items) {
        if (item->objectName() == QLatin1String("closeButton"))
            close = item;
    }
    QVERIFY(close);
    QVERIFY(close->property("focusPolicy").toInt() & Qt::TabFocus);
    QStringList problems;
    for (const QQmlError &warning : std::as_const(warnings))
        problems << warning.toString();
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
}

int main(int argc, char **argv)
{
    // Before the application object, or WebEngine refuses to start (what signet-webview does too).
    QtWebEngineQuick::initialize();
    QGuiApplication app(argc, argv);
    tst_WebViewAccessible test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_webview_accessible.moc"
