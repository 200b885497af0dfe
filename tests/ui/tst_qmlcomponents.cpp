// Qt Quick Test of the window's components (tests/ui/qml/tst_*.qml). The module Signet.App is
// linked in statically, the fake agent is Signet.Test/FakeAgent; XDG_RUNTIME_DIR points at a private directory so that a SessionController
// created by a test never reaches a real agent.

#include "fakeagent.h"

#include <QQmlEngine>
#include <QQmlExtensionPlugin>
#include <QTemporaryDir>
#include <QtQuickTest>

Q_IMPORT_QML_PLUGIN(Signet_AppPlugin)

class Setup : public QObject
{
    Q_OBJECT
public:
    Setup()
    {
        if (m_runtime.isValid())
            qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_runtime.path()));
    }

public Q_SLOTS:
    void qmlEngineAvailable(QQmlEngine *engine)
    {
        // Where qt_add_qml_module put the module's qmldir (Qt 6.4 does not search it by default).
        engine->addImportPath(QStringLiteral("qrc:/qt/qml"));
        // The in-process fake agent the C++ tests use, for tests of whole screens (test code only).
        qmlRegisterType<FakeAgent>("Signet.Test", 1, 0, "FakeAgent");
    }

private:
    QTemporaryDir m_runtime;
};

QUICK_TEST_MAIN_WITH_SETUP(signet_components, Setup)
#include "tst_qmlcomponents.moc"
