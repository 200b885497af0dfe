// The translations (Qt Linguist): German is complete and current, placeholders survive, and a
// language without a translation falls back to English.

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

class tst_Translations : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void germanIsComplete();
    void germanIsCurrent();
    void compiledIntoTheBinary();
    void otherLanguagesFallBackToEnglish();

private:
    struct Message
    {
        QString context;
        QString source;
        QString translation;
        QString type; // "unfinished", "vanished", "obsolete" or empty
    };
    static QList<Message> read(const QString &path, QString *error);
};

QList<tst_Translations::Message> tst_Translations::read(const QString &path, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return {};
    }
    QList<Message> messages;
    QXmlStreamReader xml(&file);
    QString context;
    Message message;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == QLatin1String("name")) {
            context = xml.readElementText();
        } else if (xml.name() == QLatin1String("message")) {
            message = {context, {}, {}, {}};
        } else if (xml.name() == QLatin1String("source")) {
            message.source = xml.readElementText();
        } else if (xml.name() == QLatin1String("translation")) {
            message.type = xml.attributes().value(QLatin1String("type")).toString();
            message.translation = xml.readElementText();
            messages.append(message);
        }
    }
    if (xml.hasError())
        *error = xml.errorString();
    return messages;
}

void tst_Translations::germanIsComplete()
{
    QString error;
    const QList<Message> messages = read(QStringLiteral(SIGNET_TS_DE), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(messages.size() > 100, qPrintable(QString::number(messages.size())));
    static const QRegularExpression placeholder(QStringLiteral("%\\d"));
    for (const Message &message : messages) {
        const QString where = message.context + QStringLiteral(": ") + message.source;
        QVERIFY2(message.type != QLatin1String("unfinished"), qPrintable(QStringLiteral("unfinished: ") + where));
        QVERIFY2(!message.translation.trimmed().isEmpty(), qPrintable(QStringLiteral("empty: ") + where));
        QStringList inSource, inTranslation;
        for (auto it = placeholder.globalMatch(message.source); it.hasNext();)
            inSource.append(it.next().captured());
        for (auto it = placeholder.globalMatch(message.translation); it.hasNext();)
            inTranslation.append(it.next().captured());
        inSource.sort();
        inTranslation.sort();
        QVERIFY2(inSource == inTranslation, qPrintable(QStringLiteral("placeholders differ: ") + where));
    }
}

// A string added to the sources without a German translation fails here: lupdate (what
// `ninja signet_lupdate` runs) would add it as unfinished.
void tst_Translations::germanIsCurrent()
{
    QTemporaryDir work;
    QVERIFY(work.isValid());
    const QString ts = work.filePath(QStringLiteral("signet_de.ts"));
    QVERIFY(QFile::copy(QStringLiteral(SIGNET_TS_DE), ts));
    QFile::setPermissions(ts, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    QStringList arguments{QStringLiteral("-no-obsolete"), QStringLiteral("-locations"), QStringLiteral("none")};
    const QDir qml(QStringLiteral(SIGNET_QML_DIR));
    for (const QString &name : qml.entryList({QStringLiteral("*.qml"), QStringLiteral("*.cpp")}, QDir::Files))
        arguments.append(qml.filePath(name));
    arguments << QStringLiteral(SIGNET_APP_MAIN) << QStringLiteral(SIGNET_WEBVIEW_QML) << QStringLiteral("-ts") << ts;
    QProcess lupdate;
    lupdate.start(QStringLiteral(SIGNET_LUPDATE), arguments);
    QVERIFY(lupdate.waitForFinished(60000));
    QVERIFY2(lupdate.exitCode() == 0, lupdate.readAllStandardError().constData());
    QString error;
    for (const Message &message : read(ts, &error)) {
        QVERIFY2(message.type != QLatin1String("unfinished"),
                 qPrintable(QStringLiteral("no German translation for \"%1\" (%2); run 'ninja signet_lupdate' and translate it in "
                                           "resources/translations/signet_de.ts").arg(message.source, message.context)));
    }
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void tst_Translations::compiledIntoTheBinary()
{
    QTranslator translator;
    QVERIFY(translator.load(QLocale(QLocale::German, QLocale::Germany), QStringLiteral("signet"), QStringLiteral("_"), QStringLiteral(":/i18n")));
    QCOMPARE(translator.translate("SignInPage", "Sign in"), QStringLiteral("Anmelden"));
    QCOMPARE(translator.translate("ConsentPrompt", "%1 wants to use your work identity"), QStringLiteral("%1 möchte Ihre berufliche Identität verwenden"));
    // Austrian and Swiss German use it too.
    QTranslator austrian;
    QVERIFY(austrian.load(QLocale(QLocale::German, QLocale::Austria), QStringLiteral("signet"), QStringLiteral("_"), QStringLiteral(":/i18n")));
}

void tst_Translations::otherLanguagesFallBackToEnglish()
{
    QTranslator translator;
    QVERIFY(!translator.load(QLocale(QLocale::French, QLocale::France), QStringLiteral("signet"), QStringLiteral("_"), QStringLiteral(":/i18n")));
    // Not installed: tr() returns the English source text.
    QCOMPARE(QCoreApplication::translate("SignInPage", "Sign in"), QStringLiteral("Sign in"));
}

QTEST_GUILESS_MAIN(tst_Translations)
#include "tst_translations.moc"
