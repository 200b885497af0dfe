// Configuration parsing: a data-driven table of good and broken files, and the layering rules.

#include "config/config.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QSettings>
#include <QTemporaryDir>
#include <QFileInfo>
#include <QTest>
#include <QXmlStreamReader>

using namespace Signet;
using namespace std::chrono_literals;

namespace {

// Windows' registry as QSettings' native format presents it, read from a .reg file (what regedit
// exports and imports, and what installer/windows/signet-policy.reg is): values under
// HKEY_LOCAL_MACHINE\Software\Policies\Signet are keys without a group, values of its subkeys are
// "<subkey>/<name>". Typed as there: "text" (REG_SZ) a string, dword:… (REG_DWORD) a number,
// hex(7):… (REG_MULTI_SZ, UTF-16LE) a list, hex:… (REG_BINARY) bytes.
bool readRegFile(QIODevice &device, QSettings::SettingsMap &map)
{
    static const QString base = QStringLiteral("HKEY_LOCAL_MACHINE\\Software\\Policies\\Signet");
    QString group;
    bool inPolicy = false;
    QString pending; // a hex value continued with a trailing backslash
    for (const QByteArray &raw : device.readAll().split('\n')) {
        QString line = pending + QString::fromUtf8(raw).trimmed();
        pending.clear();
        if (line.endsWith(QLatin1Char('\\')) && line.contains(QStringLiteral("=hex"))) {
            pending = line.chopped(1);
            continue;
        }
        if (line.isEmpty() || line.startsWith(QLatin1Char(';')) || line.startsWith(QStringLiteral("Windows Registry Editor")))
            continue;
        if (line.startsWith(QLatin1Char('['))) {
            const QString key = line.mid(1, line.size() - 2);
            inPolicy = key.compare(base, Qt::CaseInsensitive) == 0 || key.startsWith(base + QLatin1Char('\\'), Qt::CaseInsensitive);
            group = inPolicy ? key.mid(base.size() + 1).replace(QLatin1Char('\\'), QLatin1Char('/')) : QString();
            continue;
        }
        static const QRegularExpression value(QStringLiteral("^\"((?:[^\"\\\\]|\\\\.)*)\"=(.*)$"));
        const auto match = value.match(line);
        if (!inPolicy || !match.hasMatch())
            continue;
        static const QRegularExpression escape(QStringLiteral("\\\\(.)"));
        const QString name = match.captured(1).replace(escape, QStringLiteral("\\1"));
        const QString data = match.captured(2);
        const QString fullName = group.isEmpty() ? name : group + QLatin1Char('/') + name;
        if (data.startsWith(QLatin1Char('"'))) {
            map.insert(fullName, data.mid(1, data.size() - 2).replace(escape, QStringLiteral("\\1")));
        } else if (data.startsWith(QStringLiteral("dword:"))) {
            map.insert(fullName, int(data.mid(6).toUInt(nullptr, 16)));
        } else if (data.startsWith(QStringLiteral("hex(7):"))) {
            const QByteArray bytes = QByteArray::fromHex(data.mid(7).remove(QLatin1Char(',')).toLatin1());
            QStringList lines = QString::fromUtf16(reinterpret_cast<const char16_t *>(bytes.constData()), bytes.size() / 2).split(QChar(0));
            while (!lines.isEmpty() && lines.last().isEmpty())
                lines.removeLast();
            map.insert(fullName, lines);
        } else if (data.startsWith(QStringLiteral("hex:"))) {
            map.insert(fullName, QByteArray::fromHex(data.mid(4).remove(QLatin1Char(',')).toLatin1()));
        }
    }
    return true;
}

bool writeNothing(QIODevice &, const QSettings::SettingsMap &)
{
    return false;
}

QSettings::Format regFileFormat()
{
    static const QSettings::Format format = QSettings::registerFormat(QStringLiteral("reg"), readRegFile, writeNothing, Qt::CaseInsensitive);
    return format;
}

// A REG_MULTI_SZ as a .reg file writes it: hex(7): and the lines in UTF-16LE, each ended by a NUL,
// then one more NUL.
QByteArray multiSz(const QStringList &lines)
{
    QByteArray utf16;
    for (const QString &line : lines + QStringList{QString()}) {
        const QString withNul = line + QChar(0);
        utf16.append(reinterpret_cast<const char *>(withNul.utf16()), withNul.size() * 2);
    }
    QByteArray hex = utf16.toHex(',');
    return "hex(7):" + hex;
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_files = 0;

    QString write(const QString &relativePath, const QByteArray &content)
    {
        const QString path = m_dir.filePath(relativePath);
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            qFatal("cannot write %s", qPrintable(path));
        file.write(content);
        return path;
    }

    Config loadUser(const QByteArray &content)
    {
        ConfigSources sources;
        // A new name every time: QSettings caches files by name, size and modification time,
        // and two rows can write same-sized files within one second.
        sources.userFile = write(QStringLiteral("user-%1.conf").arg(++m_files), content);
        sources.userFileRequired = true;
        return ConfigLoader::load(sources);
    }

    static QString errorsOf(const Config &config)
    {
        QStringList errors;
        for (const auto &p : config.allProblems()) {
            if (p.isError())
                errors << p.toString();
        }
        return errors.join(QLatin1Char('\n'));
    }

    static const QByteArray &goodProvider()
    {
        static const QByteArray text = "[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = signet\n";
        return text;
    }

private Q_SLOTS:
    void defaults()
    {
        const Config config = loadUser(goodProvider());
        QCOMPARE(config.sessionAge, 3600s);
        QCOMPARE(config.stateTimeout, 600s);
        QCOMPARE(config.httpTimeout, 10s);
        QCOMPARE(errorsOf(config), QString());
        QCOMPARE(config.providers.size(), 1);
        const ProviderConfig &p = config.providers.first();
        QCOMPARE(p.id, QStringLiteral("demo"));
        QCOMPARE(p.displayName, QStringLiteral("demo"));
        QCOMPARE(p.scopes, (QStringList{QStringLiteral("openid"), QStringLiteral("email"), QStringLiteral("profile")}));
        QCOMPARE(p.httpTimeout, 10s);
        QVERIFY(p.isAvailable());
    }

    void generalKeysAreRoot()
    {
        // QSettings reads [general] as its root section.
        const Config config = loadUser("[general]\nsession_age = 7200\nstate_timeout = 5m\nhttp_timeout = 20s\n" + goodProvider());
        QCOMPARE(errorsOf(config), QString());
        QCOMPARE(config.sessionAge, 7200s);
        QCOMPARE(config.stateTimeout, 300s);
        QCOMPARE(config.httpTimeout, 20s);
        QCOMPARE(config.providers.first().httpTimeout, 20s); // inherited
    }

    // How the window shows sign-in pages, and IT's message on its sign-in screen (the `providers` answer).
    void browserAndSignInMessage()
    {
        const Config defaults = loadUser(goodProvider());
        QVERIFY(!defaults.embeddedBrowser);
        QVERIFY(defaults.signInMessage.isEmpty());
        const Config kiosk = loadUser("browser = embedded\nsignin_message = \"Use your @example.com account, or call 555-0100.\"\n" + goodProvider());
        QCOMPARE(errorsOf(kiosk), QString());
        QVERIFY(kiosk.embeddedBrowser);
        QCOMPARE(kiosk.signInMessage, QStringLiteral("Use your @example.com account, or call 555-0100."));
        QVERIFY(!loadUser("browser = system\n" + goodProvider()).embeddedBrowser);
        const Config tooLong = loadUser("signin_message = " + QByteArray(600, 'x') + "\n" + goodProvider());
        QCOMPARE(tooLong.signInMessage.size(), 500);
        QCOMPARE(errorsOf(tooLong), QString()); // a warning only
    }

    void problems_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<bool>("generalError");     // an error that blocks every sign-in
        QTest::addColumn<bool>("providerAvailable"); // demo still usable
        QTest::addColumn<QString>("expected");        // a fragment of the problem text

        QTest::newRow("duration not a number") << QByteArray("session_age = soon\n" + goodProvider()) << true << true << QStringLiteral("[general] session_age: 'soon' is not a duration");
        QTest::newRow("duration out of range") << QByteArray("state_timeout = 2h\n" + goodProvider()) << true << true << QStringLiteral("state_timeout: 7200 seconds is out of range");
        QTest::newRow("browser not a mode") << QByteArray("browser = chromium\n" + goodProvider()) << true << true << QStringLiteral("[general] browser: 'chromium' is not system or embedded");
        QTest::newRow("negative duration") << QByteArray("http_timeout = -5\n" + goodProvider()) << true << true << QStringLiteral("http_timeout: '-5' is not a duration");
        QTest::newRow("syntax error with line") << QByteArray("[general]\nthis is not ini\n" + goodProvider()) << true << true << QStringLiteral(".conf:2: cannot read this line");
        // Companion-app grants: a broken one fails closed (sign-in refused until fixed), like every general key.
        QTest::newRow("app without exe") << QByteArray("[app.x]\nname = X\n" + goodProvider()) << true << true << QStringLiteral("[app.x] exe: is missing; name the app's executable");
        QTest::newRow("app with a relative exe") << QByteArray("[app.x]\nexe = bin/x\n" + goodProvider()) << true << true << QStringLiteral("[app.x] exe: 'bin/x' is not an absolute path");
        QTest::newRow("interpreter without script") << QByteArray("[app.x]\nexe = /usr/bin/python3\n" + goodProvider()) << true << true << QStringLiteral("[app.x] script: is missing: /usr/bin/python3 is an interpreter");
        QTest::newRow("app access not allow or deny") << QByteArray("[app.x]\nexe = /usr/bin/x\naccess = maybe\n" + goodProvider()) << true << true << QStringLiteral("[app.x] access: 'maybe' is not allow or deny");
        QTest::newRow("app with empty scopes") << QByteArray("[app.x]\nexe = /usr/bin/x\nscopes = \"\"\n" + goodProvider()) << true << true << QStringLiteral("[app.x] scopes: is empty");
        QTest::newRow("app id with a space") << QByteArray("[app.a b]\nexe = /usr/bin/x\n" + goodProvider()) << true << true << QStringLiteral("is not an app id");
        QTest::newRow("script for a non-interpreter warns") << QByteArray("[app.x]\nexe = /usr/bin/x\nscript = /opt/x.py\n" + goodProvider()) << false << true << QStringLiteral("[app.x] script: is ignored: /usr/bin/x is not a known interpreter");
        QTest::newRow("unknown app key warns") << QByteArray("[app.x]\nexe = /usr/bin/x\npath = /x\n" + goodProvider()) << false << true << QStringLiteral("[app.x] path: unknown key, ignored; known keys are exe, script");
        QTest::newRow("unknown_apps not a mode") << QByteArray("unknown_apps = ask\n" + goodProvider()) << true << true << QStringLiteral("[general] unknown_apps: 'ask' is not prompt, deny or allow");
        QTest::newRow("whoami not a mode") << QByteArray("whoami = some\n" + goodProvider()) << true << true << QStringLiteral("[general] whoami: 'some' is not any or granted");
        QTest::newRow("missing type") << QByteArray("[provider.demo]\nissuer = https://idp.example.com\nclient_id = x\n") << false << false << QStringLiteral("[provider.demo] type: is missing; set type = oidc");
        QTest::newRow("unknown type") << QByteArray("[provider.demo]\ntype = saml\nissuer = https://idp.example.com\nclient_id = x\n") << false << false << QStringLiteral("unknown provider type 'saml'");
        QTest::newRow("github with issuer") << QByteArray("[provider.demo]\ntype = github\nissuer = https://idp.example.com\nclient_id = x\nclient_secret = s\n") << false << false << QStringLiteral("issuer: is not used for type = github");
        QTest::newRow("github without secret") << QByteArray("[provider.demo]\ntype = github\nclient_id = x\n") << false << false << QStringLiteral("client_secret: is missing; GitHub requires");
        QTest::newRow("github with openid") << QByteArray("[provider.demo]\ntype = github\nclient_id = x\nclient_secret = s\nscopes = openid user:email\n") << false << false << QStringLiteral("'openid' is not a GitHub scope");
        QTest::newRow("github orgs need read:org") << QByteArray("[provider.demo]\ntype = github\nclient_id = x\nclient_secret = s\nallowed_orgs = acme\nscopes = read:user user:email\n") << false << false << QStringLiteral("must include 'read:org' when allowed_orgs is set");
        QTest::newRow("github bad org") << QByteArray("[provider.demo]\ntype = github\nclient_id = x\nclient_secret = s\nallowed_orgs = \"acme corp!\"\n") << false << false << QStringLiteral("is not a GitHub organisation name");
        QTest::newRow("github ok") << QByteArray("[provider.demo]\ntype = github\nclient_id = x\nclient_secret = s\nallowed_orgs = acme\n") << false << true << QString();
        QTest::newRow("missing issuer") << QByteArray("[provider.demo]\ntype = oidc\nclient_id = x\n") << false << false << QStringLiteral("issuer: is missing");
        QTest::newRow("issuer not a url") << QByteArray("[provider.demo]\ntype = oidc\nissuer = idp\nclient_id = x\n") << false << false << QStringLiteral("'idp' is not an http(s) URL");
        QTest::newRow("plain http issuer") << QByteArray("[provider.demo]\ntype = oidc\nissuer = http://idp.example.com\nclient_id = x\n") << false << false << QStringLiteral("must use https");
        QTest::newRow("issuer with query") << QByteArray("[provider.demo]\ntype = oidc\nissuer = \"https://idp.example.com/?a=b\"\nclient_id = x\n") << false << false << QStringLiteral("must not contain a query");
        QTest::newRow("loopback http issuer ok") << QByteArray("[provider.demo]\ntype = oidc\nissuer = http://127.0.0.1:4000\nclient_id = x\n") << false << true << QString();
        QTest::newRow("missing client id") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\n") << false << false << QStringLiteral("client_id: is missing");
        QTest::newRow("empty client id") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\nclient_id =\n") << false << false << QStringLiteral("client_id: is empty");
        QTest::newRow("unquoted comma") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = signet\ndisplay_name = Acme, Inc.\n") << false << false << QStringLiteral("display_name: contains a comma");
        QTest::newRow("quoted comma ok") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = signet\ndisplay_name = \"Acme, Inc.\"\n") << false << true << QString();
        QTest::newRow("scopes without openid") << QByteArray(goodProvider() + "scopes = email profile\n") << false << false << QStringLiteral("scopes: must include 'openid'");
        QTest::newRow("bad provider id") << QByteArray("[provider.Bad Id]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = x\n") << false << false << QStringLiteral("not a valid provider id");
        QTest::newRow("providers names unknown") << QByteArray("providers = demo, nope\n" + goodProvider()) << true << true << QStringLiteral("names 'nope', but there is no [provider.nope] group");
        QTest::newRow("unknown general key warns") << QByteArray("sesion_age = 5\n" + goodProvider()) << false << true << QStringLiteral("sesion_age: unknown key");
        QTest::newRow("unknown provider key warns") << QByteArray(goodProvider() + "clientid = x\n") << false << true << QStringLiteral("clientid: unknown key");
        QTest::newRow("unknown group warns") << QByteArray("[providers.demo]\ntype = oidc\n") << false << false << QStringLiteral("[providers.demo]: unknown group");
        QTest::newRow("ca_file missing") << QByteArray("ca_file = /nonexistent/ca.pem\n" + goodProvider()) << true << true << QStringLiteral("ca_file: '/nonexistent/ca.pem' cannot be read");
        QTest::newRow("provider ca_file not PEM") << QByteArray(goodProvider() + "ca_file = /etc/hostname\n") << false << false << QStringLiteral("contains no PEM certificate");
        QTest::newRow("unclosed quote swallows the next line") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = \"x\nscopes = email\n") << false << false << QStringLiteral("runs over several lines");
        QTest::newRow("trailing backslash swallows the next line") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = x \\\n[provider.evil]\n") << true << true << QStringLiteral("ends with a backslash, which joins it with the next line");
        QTest::newRow("bare CR hides text") << QByteArray(goodProvider() + "display_name = x\rgarbage\n") << true << true << QStringLiteral(".conf:6: cannot read this line");
        QTest::newRow("ca_file is a device") << QByteArray("ca_file = /dev/zero\n" + goodProvider()) << true << true << QStringLiteral("not a regular file of at most 1 MiB");
        QTest::newRow("bad endpoint override") << QByteArray(goodProvider() + "token_endpoint = ftp://x\n") << false << false << QStringLiteral("token_endpoint: 'ftp://x' is not an http(s) URL");
        // type = microsoft and type = google (docs/providers.md).
        const QByteArray ms = "[provider.demo]\ntype = microsoft\nclient_id = x\n";
        QTest::newRow("microsoft without tenant") << QByteArray(ms) << false << false << QStringLiteral("tenant: is missing");
        QTest::newRow("microsoft with issuer") << QByteArray(ms + "tenant = corp.example\nissuer = https://idp.example.com\n") << false << false << QStringLiteral("issuer: is not used for type = microsoft");
        QTest::newRow("microsoft bad tenant") << QByteArray(ms + "tenant = not a tenant\n") << false << false << QStringLiteral("is not a tenant id, a domain");
        QTest::newRow("microsoft multi-tenant needs allowed_tenants") << QByteArray(ms + "tenant = organizations\n") << false << false << QStringLiteral("allowed_tenants: is missing; with tenant = organizations");
        QTest::newRow("microsoft any tenant takes an explicit star") << QByteArray(ms + "tenant = common\nallowed_tenants = *\n") << false << true << QString();
        QTest::newRow("microsoft allowed tenant not a guid") << QByteArray(ms + "tenant = common\nallowed_tenants = corp.example\n") << false << false << QStringLiteral("'corp.example' is not a tenant id (a GUID) or *");
        QTest::newRow("microsoft consumers needs the switch") << QByteArray(ms + "tenant = consumers\n") << false << false << QStringLiteral("set allow_personal_accounts = true");
        QTest::newRow("microsoft consumers allowed") << QByteArray(ms + "tenant = consumers\nallow_personal_accounts = yes\n") << false << true << QString();
        QTest::newRow("microsoft bad boolean") << QByteArray(ms + "tenant = corp.example\nallow_personal_accounts = sometimes\n") << false << false << QStringLiteral("'sometimes' is not true or false");
        QTest::newRow("microsoft authority with path") << QByteArray(ms + "tenant = corp.example\nauthority_host = https://login.microsoftonline.us/x\n") << false << false << QStringLiteral("must not have a path");
        QTest::newRow("microsoft graph over http") << QByteArray(ms + "tenant = corp.example\ngraph_url = http://graph.example\n") << false << false << QStringLiteral("graph_url: 'http://graph.example' must use https");
        QTest::newRow("google needs no issuer") << QByteArray("[provider.demo]\ntype = google\nclient_id = x\n") << false << true << QString();
        QTest::newRow("google bad hosted domain") << QByteArray("[provider.demo]\ntype = google\nclient_id = x\nhosted_domain = corp\n") << false << false << QStringLiteral("'corp' is not a domain name");
        QTest::newRow("key of another type warns") << QByteArray(goodProvider() + "hosted_domain = corp.example\n") << false << true << QStringLiteral("hosted_domain: applies only to type = google providers");
    }

    void problems()
    {
        QFETCH(QByteArray, content);
        QFETCH(bool, generalError);
        QFETCH(bool, providerAvailable);
        QFETCH(QString, expected);

        const Config config = loadUser(content);
        QCOMPARE(config.hasGeneralErrors(), generalError);
        const ProviderConfig *demo = config.provider(QStringLiteral("demo"));
        QCOMPARE(demo && demo->isAvailable(), providerAvailable);

        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        if (expected.isEmpty()) {
            QVERIFY2(texts.isEmpty(), qPrintable(texts.join(QLatin1Char('\n'))));
        } else {
            const bool found = std::any_of(texts.cbegin(), texts.cend(), [&](const QString &t) { return t.contains(expected); });
            QVERIFY2(found, qPrintable(QStringLiteral("wanted '%1' in:\n%2").arg(expected, texts.join(QLatin1Char('\n')))));
            // Every problem names the file it comes from.
            for (const auto &p : config.allProblems())
                QVERIFY2(p.file.contains(QStringLiteral("user-")), qPrintable(p.toString()));
        }
    }

    void providerTypeDefaults()
    {
        const Config config = loadUser("[provider.ms]\ntype = microsoft\nclient_id = x\ntenant = Corp.Example\nextra_scopes = Calendars.Read\n"
                                       "[provider.gov]\ntype = microsoft\nclient_id = x\ntenant = 3f1c2a6e-8d4b-4c1e-9a2f-5b7d9e0c1a23\n"
                                       "authority_host = https://login.microsoftonline.us\ngraph_url = https://graph.microsoft.us/\ngraph_timeout = 20\n"
                                       "[provider.g]\ntype = google\nclient_id = x\nhosted_domain = Corp.Example\n");
        QVERIFY2(config.allProblems().isEmpty(), qPrintable(config.allProblems().value(0).toString()));
        const ProviderConfig *ms = config.provider(QStringLiteral("ms"));
        QCOMPARE(ms->issuer, QUrl(QStringLiteral("https://login.microsoftonline.com/corp.example/v2.0")));
        QCOMPARE(ms->displayName, QStringLiteral("Microsoft"));
        QCOMPARE(ms->scopes, (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"), QStringLiteral("offline_access"),
                               QStringLiteral("Calendars.Read")}));
        QCOMPARE(ms->graphUrl, QUrl(QStringLiteral("https://graph.microsoft.com")));
        QCOMPARE(ms->graphTimeout, std::chrono::seconds(10));
        QVERIFY(ms->allowedTenants.isEmpty()); // bound by the tenant's own discovery document
        const ProviderConfig *gov = config.provider(QStringLiteral("gov"));
        QCOMPARE(gov->issuer, QUrl(QStringLiteral("https://login.microsoftonline.us/3f1c2a6e-8d4b-4c1e-9a2f-5b7d9e0c1a23/v2.0")));
        QCOMPARE(gov->allowedTenants, QStringList{QStringLiteral("3f1c2a6e-8d4b-4c1e-9a2f-5b7d9e0c1a23")});
        QCOMPARE(gov->graphUrl, QUrl(QStringLiteral("https://graph.microsoft.us")));
        QCOMPARE(gov->graphTimeout, std::chrono::seconds(20));
        QVERIFY(gov->scopes.contains(QStringLiteral("User.Read"))); // the default extra scope
        const ProviderConfig *g = config.provider(QStringLiteral("g"));
        const Config gh = loadUser("[provider.gh]\ntype = github\nclient_id = x\nclient_secret = s\nallowed_orgs = Acme\n"
                                   "[provider.ghes]\ntype = github\nclient_id = x\nclient_secret = s\nhost = https://github.corp.example\n");
        QVERIFY2(gh.allProblems().isEmpty(), qPrintable(gh.allProblems().value(0).toString()));
        const ProviderConfig *dotcom = gh.provider(QStringLiteral("gh"));
        QCOMPARE(dotcom->authorizationEndpoint, QUrl(QStringLiteral("https://github.com/login/oauth/authorize")));
        QCOMPARE(dotcom->tokenEndpoint, QUrl(QStringLiteral("https://github.com/login/oauth/access_token")));
        QCOMPARE(dotcom->apiUrl, QUrl(QStringLiteral("https://api.github.com")));
        QCOMPARE(dotcom->scopes, (QStringList{QStringLiteral("read:user"), QStringLiteral("user:email"), QStringLiteral("read:org")}));
        QCOMPARE(dotcom->allowedOrgs, QStringList{QStringLiteral("acme")});
        QVERIFY(!dotcom->isOpenIdConnect());
        const ProviderConfig *ghes = gh.provider(QStringLiteral("ghes"));
        QCOMPARE(ghes->authorizationEndpoint, QUrl(QStringLiteral("https://github.corp.example/login/oauth/authorize")));
        QCOMPARE(ghes->apiUrl, QUrl(QStringLiteral("https://github.corp.example/api/v3")));
        QCOMPARE(ghes->scopes, (QStringList{QStringLiteral("read:user"), QStringLiteral("user:email")}));
        QCOMPARE(g->issuer, QUrl(QStringLiteral("https://accounts.google.com")));
        QCOMPARE(g->hostedDomain, QStringLiteral("corp.example"));
        QCOMPARE(g->displayName, QStringLiteral("Google"));
    }

    void presentation()
    {
        QFile logo(m_dir.filePath(QStringLiteral("corp-logo.svg")));
        QVERIFY(logo.open(QIODevice::WriteOnly));
        logo.write("<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
        logo.close();
        const Config config = loadUser("[provider.zeta]\ntype = google\nclient_id = x\norder = -5\n"
                                       "[provider.alpha]\ntype = microsoft\nclient_id = x\ntenant = corp.example\norder = 10\n"
                                       "[provider.mid]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = x\n"
                                       "button_text = \"Use your Acme account\"\nbackground_color = #0A0B0C\nlogo = " + QFile::encodeName(logo.fileName()) + "\n"
                                       "[provider.off]\ntype = oidc\nissuer = https://idp.example.com\nclient_id = x\nenabled = false\n");
        QStringList ids;
        for (const auto &p : config.providers)
            ids << p.id;
        QCOMPARE(ids, (QStringList{QStringLiteral("zeta"), QStringLiteral("mid"), QStringLiteral("alpha")})); // by order; "off" is not offered
        const ProviderConfig *zeta = config.provider(QStringLiteral("zeta"));
        QCOMPARE(zeta->buttonText, QStringLiteral("Sign in with Google"));
        QCOMPARE(zeta->logo, QStringLiteral("google"));
        QCOMPARE(zeta->backgroundColor, QStringLiteral("#ffffff"));
        const ProviderConfig *mid = config.provider(QStringLiteral("mid"));
        QCOMPARE(mid->buttonText, QStringLiteral("Use your Acme account"));
        QCOMPARE(mid->backgroundColor, QStringLiteral("#0a0b0c"));
        QCOMPARE(mid->textColor, QStringLiteral("#ffffff"));
        QCOMPARE(mid->logo, QStringLiteral("openid"));
        QCOMPARE(mid->logoFile, QFileInfo(logo.fileName()).absoluteFilePath());
        QVERIFY(config.provider(QStringLiteral("alpha"))->logoFile.isEmpty());
        const auto problems = config.allProblems();
        QVERIFY(std::any_of(problems.cbegin(), problems.cend(), [](const ConfigProblem &p) { return p.key == QLatin1String("enabled") && !p.isError(); }));
    }

    // Every type's built-in logo is an SVG in resources/providers (the window loads it by name).
    void builtInLogosExist()
    {
        const Config config = loadUser("[provider.a]\ntype = google\nclient_id = x\n[provider.b]\ntype = microsoft\nclient_id = x\ntenant = corp.example\n"
                                       "[provider.c]\ntype = github\nclient_id = x\nclient_secret = s\n" + goodProvider());
        QCOMPARE(config.providers.size(), 4);
        for (const auto &provider : config.providers) {
            QFile file(QStringLiteral(SIGNET_SOURCE_DIR "/resources/providers/%1.svg").arg(provider.logo));
            QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
            QXmlStreamReader xml(&file);
            QVERIFY(xml.readNextStartElement());
            QCOMPARE(xml.name(), QLatin1String("svg"));
            QVERIFY(xml.attributes().hasAttribute(QLatin1String("viewBox")));
            while (!xml.atEnd())
                xml.readNext();
            QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        }
    }

    void presentationProblems_data()
    {
        QTest::addColumn<QByteArray>("keys");
        QTest::addColumn<QString>("expected");
        QTest::newRow("bad colour") << QByteArray("background_color = blue\n") << QStringLiteral("'blue' is not a colour; write it as #rrggbb");
        QTest::newRow("bad order") << QByteArray("order = first\n") << QStringLiteral("'first' is not a whole number");
        QTest::newRow("relative logo") << QByteArray("logo = logo.svg\n") << QStringLiteral("is not an absolute path; the built-in logo is used");
        QTest::newRow("missing logo") << QByteArray("logo = /nonexistent/logo.svg\n") << QStringLiteral("is not a readable file of at most 256 KiB");
        QTest::newRow("logo not an image") << QByteArray("logo = /etc/hostname\n") << QStringLiteral("is neither .svg nor .png");
        QTest::newRow("device keys without the switch") << QByteArray("device_client_id = tv\n") << QStringLiteral("has no effect while allow_device_flow is not true");
    }

    void presentationProblems()
    {
        QFETCH(QByteArray, keys);
        QFETCH(QString, expected);
        const Config config = loadUser(goodProvider() + keys);
        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        QVERIFY2(texts.join(QLatin1Char('\n')).contains(expected), qPrintable(texts.join(QLatin1Char('\n'))));
        // Presentation problems never take a provider away.
        QVERIFY(config.provider(QStringLiteral("demo")) && config.provider(QStringLiteral("demo"))->isAvailable());
    }

    // A problem report goes to logs and terminals: it must not carry what may be a secret.
    void problemsDoNotRepeatSecrets_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("secret");
        QTest::newRow("pasted secret line") << QByteArray(goodProvider() + "client_secret = \nS3cr3t-pasted-on-its-own-line\n") << QStringLiteral("S3cr3t-pasted");
        QTest::newRow("password in issuer") << QByteArray("[provider.demo]\ntype = oidc\nissuer = https://admin:hunter2pass@idp.example.com\nclient_id = x\n") << QStringLiteral("hunter2pass");
        QTest::newRow("token in endpoint query") << QByteArray(goodProvider() + "token_endpoint = \"https://idp.example.com/token?key=abcSECRETdef\"\n") << QStringLiteral("abcSECRETdef");
    }

    void problemsDoNotRepeatSecrets()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, secret);
        const Config config = loadUser(content);
        QVERIFY(!config.allProblems().isEmpty());
        for (const auto &p : config.allProblems())
            QVERIFY2(!p.toString().contains(secret), qPrintable(p.toString()));
    }

    void missingExplicitFileIsAnError()
    {
        ConfigSources sources;
        sources.userFile = m_dir.filePath(QStringLiteral("does-not-exist.conf"));
        sources.userFileRequired = true;
        const Config config = ConfigLoader::load(sources);
        QVERIFY(config.hasGeneralErrors());
        QVERIFY(config.problems.first().toString().contains(QStringLiteral("does not exist")));
    }

    void missingDefaultFilesAreFine()
    {
        ConfigSources sources;
        sources.systemFiles = {m_dir.filePath(QStringLiteral("nowhere/signet.conf"))};
        sources.userFile = m_dir.filePath(QStringLiteral("nowhere/user.conf"));
        const Config config = ConfigLoader::load(sources);
        QVERIFY(config.problems.isEmpty());
        QVERIFY(config.providers.isEmpty());
    }

    void directoryIsAnError()
    {
        ConfigSources sources;
        sources.userFile = m_dir.path();
        const Config config = ConfigLoader::load(sources);
        QVERIFY(config.hasGeneralErrors());
        QVERIFY(config.problems.first().message.contains(QStringLiteral("is a directory")));
    }

    void appGrants()
    {
        const Config config = loadUser("unknown_apps = deny\nwhoami = granted\n" + goodProvider()
                                       + "[app.sync]\nexe = /usr/bin/python3\nscript = /opt/acme/../acme/sync.py\nscopes = openid, Mail.Read\n"
                                         "[app.ctl]\nname = \"The CLI\"\nexe = /usr/bin/signetctl\naccess = deny\n");
        QCOMPARE(errorsOf(config), QString());
        QCOMPARE(config.unknownApps, UnknownApps::Deny);
        QVERIFY(config.whoamiNeedsGrant);
        QCOMPARE(config.apps.size(), 2);
        const AppGrantConfig &ctl = config.apps.at(0); // sorted by id
        QCOMPARE(ctl.id, QStringLiteral("ctl"));
        QCOMPARE(ctl.name, QStringLiteral("The CLI"));
        QCOMPARE(ctl.scopes, QStringList{QStringLiteral("*")});
        QVERIFY(!ctl.allow);
        const AppGrantConfig &sync = config.apps.at(1);
        QCOMPARE(sync.name, QStringLiteral("sync"));
        QCOMPARE(sync.script, QStringLiteral("/opt/acme/sync.py"));
        QCOMPARE(sync.scopes, (QStringList{QStringLiteral("openid"), QStringLiteral("Mail.Read")}));
        QVERIFY(sync.allow);
        // The defaults: prompt for unknown apps, whoami for any.
        const Config plain = loadUser(goodProvider());
        QCOMPARE(plain.unknownApps, UnknownApps::Prompt);
        QVERIFY(!plain.whoamiNeedsGrant);
        QVERIFY(plain.apps.isEmpty());
    }

    // "apps" in locked: the user's file can neither add nor change an app grant.
    void appsLocked()
    {
        ConfigSources sources;
        sources.systemFiles = {write(QStringLiteral("system-%1.conf").arg(++m_files),
                                     "[general]\nlocked = apps\n[app.vpn]\nexe = /opt/vpn/client\naccess = deny\n" + goodProvider())};
        sources.userFile = write(QStringLiteral("user-%1.conf").arg(++m_files), "[app.vpn]\naccess = allow\n[app.mine]\nexe = /home/me/bin/tool\n");
        const Config config = ConfigLoader::load(sources);
        QCOMPARE(config.apps.size(), 1);
        QCOMPARE(config.apps.first().id, QStringLiteral("vpn"));
        QVERIFY(!config.apps.first().allow);
        QStringList warnings;
        for (const auto &p : config.allProblems())
            warnings << p.toString();
        QVERIFY2(warnings.filter(QStringLiteral("[app.mine] exe: is locked")).size() == 1, qPrintable(warnings.join(QLatin1Char('\n'))));
    }

    void locking_data()
    {
        QTest::addColumn<QByteArray>("system");
        QTest::addColumn<QByteArray>("user");
        QTest::addColumn<QString>("allowedDomains"); // the effective general allowed_domains, joined
        QTest::addColumn<QString>("clientId");       // the effective provider client_id
        QTest::addColumn<QString>("warning");        // a fragment of a warning, or empty for none

        const QByteArray provider = "[provider.corp]\ntype = oidc\nissuer = https://idp.corp.example\nclient_id = official\n";
        QTest::newRow("unlocked: the user overrides") << QByteArray("allowed_domains = corp.example\n" + provider)
                                                      << QByteArray("allowed_domains = *\n[provider.corp]\nclient_id = mine\n")
                                                      << QStringLiteral("*") << QStringLiteral("mine") << QString();
        QTest::newRow("general key locked") << QByteArray("allowed_domains = corp.example\nlocked = allowed_domains\n" + provider)
                                            << QByteArray("allowed_domains = *\n")
                                            << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("allowed_domains: is locked by the system configuration");
        QTest::newRow("provider group locked") << QByteArray("allowed_domains = corp.example\nlocked = provider.corp\n" + provider)
                                               << QByteArray("[provider.corp]\nclient_id = mine\n")
                                               << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("[provider.corp] client_id: is locked");
        QTest::newRow("one provider key locked") << QByteArray("allowed_domains = corp.example\nlocked = provider.corp/client_id\n" + provider)
                                                 << QByteArray("[provider.corp]\nclient_id = mine\ndisplay_name = Mine\n")
                                                 << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("client_id: is locked");
        QTest::newRow("a key locked while unset stays unset") << QByteArray("locked = allowed_domains\n" + provider)
                                                               << QByteArray("allowed_domains = *\n")
                                                               << QStringLiteral("<absent>") << QStringLiteral("official") << QStringLiteral("is locked");
        QTest::newRow("the user cannot unlock") << QByteArray("allowed_domains = corp.example\nlocked = allowed_domains\n" + provider)
                                                << QByteArray("locked = \nallowed_domains = *\n")
                                                << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("locked: only the system configuration can lock keys");
        QTest::newRow("a provider's allowed_domains is locked with the general one")
            << QByteArray("allowed_domains = corp.example\nlocked = allowed_domains\n" + provider)
            << QByteArray("[provider.corp]\nallowed_domains = *\n")
            << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("[provider.corp] allowed_domains: is locked");
        QTest::newRow("no new provider while the policy is locked")
            << QByteArray("allowed_domains = corp.example\nlocked = allowed_domains\n" + provider)
            << QByteArray("[provider.mine]\ntype = oidc\nissuer = http://127.0.0.1:9\nclient_id = me\n")
            << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("[provider.mine]: providers cannot be added while the system configuration locks the policy");
        QTest::newRow("the user cannot lock") << QByteArray("allowed_domains = corp.example\n" + provider)
                                              << QByteArray("locked = allowed_domains\n")
                                              << QStringLiteral("corp.example") << QStringLiteral("official") << QStringLiteral("only the system configuration can lock keys");
    }

    void locking()
    {
        QFETCH(QByteArray, system);
        QFETCH(QByteArray, user);
        QFETCH(QString, allowedDomains);
        QFETCH(QString, clientId);
        QFETCH(QString, warning);
        ConfigSources sources;
        sources.systemFiles = {write(QStringLiteral("system-%1.conf").arg(++m_files), system)};
        sources.userFile = write(QStringLiteral("user-%1.conf").arg(++m_files), user);
        const Config config = ConfigLoader::load(sources);
        QCOMPARE(config.policy.allowedDomains ? config.policy.allowedDomains->join(QLatin1Char(',')) : QStringLiteral("<absent>"), allowedDomains);
        QCOMPARE(config.provider(QStringLiteral("corp"))->clientId, clientId);
        QVERIFY(!config.provider(QStringLiteral("mine")));
        if (QByteArray(QTest::currentDataTag()).contains("provider's allowed_domains"))
            QVERIFY(!config.provider(QStringLiteral("corp"))->allowedDomains.has_value());
        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        if (warning.isEmpty())
            QVERIFY2(texts.isEmpty(), qPrintable(texts.join(QLatin1Char('\n'))));
        else
            QVERIFY2(texts.join(QLatin1Char('\n')).contains(warning), qPrintable(texts.join(QLatin1Char('\n'))));
    }

    // Every `locked` entry must name something a user's file could set; one that names nothing is an
    // error (IT would believe a key protected that is not). A `locked` in a user's file is one too.
    void lockedEntries_data()
    {
        QTest::addColumn<QByteArray>("system");
        QTest::addColumn<QByteArray>("user");
        QTest::addColumn<QString>("error"); // the error, or empty for none

        const QByteArray provider = "[provider.corp]\ntype = oidc\nissuer = https://idp.corp.example\nclient_id = official\n"
                                    "[app.tool]\nexe = /usr/bin/tool\n";
        const auto locking = [&](const char *entries) { return QByteArray("[general]\nlocked = ") + entries + "\n" + provider; };
        QTest::newRow("every kind of entry") << locking("session_age, allowed_domains, locked, roles, roles/vpn, apps, provider.corp, "
                                                        "provider.corp/client_id, app.tool, app.tool/scopes")
                                             << QByteArray() << QString();
        QTest::newRow("unknown general key") << locking("allowed_domain") << QByteArray()
                                             << QStringLiteral("[general] locked: 'allowed_domain' is not a key or group Signet knows");
        QTest::newRow("general/ prefix") << locking("general/session_age") << QByteArray()
                                         << QStringLiteral("[general] locked: 'general/session_age': general keys are locked by their name alone; write 'session_age'");
        QTest::newRow("provider the system does not define") << locking("provider.copr") << QByteArray()
                                                             << QStringLiteral("[general] locked: 'provider.copr' names [provider.copr], which the system configuration does not define; lock one it defines (provider.corp)");
        QTest::newRow("unknown provider key") << locking("provider.corp/clientid") << QByteArray()
                                              << QStringLiteral("[general] locked: 'provider.corp/clientid': clientid is not a key of [provider.corp]");
        QTest::newRow("app the system does not define") << locking("app.tol") << QByteArray()
                                                        << QStringLiteral("'app.tol' names [app.tol], which the system configuration does not define; lock one it defines (app.tool)");
        QTest::newRow("unknown app key") << locking("app.tool/path") << QByteArray() << QStringLiteral("'app.tool/path': path is not a key of [app.tool]");
        QTest::newRow("a group's name without its kind") << locking("corp") << QByteArray() << QStringLiteral("'corp' is not a key or group Signet knows");
        QTest::newRow("locked in the user's file") << QByteArray(provider) << QByteArray("locked = session_age\n")
                                                   << QStringLiteral("[general] locked: only the system configuration can lock keys");
        QTest::newRow("locked in the user's file while the system locks it") << locking("session_age") << QByteArray("locked = \n")
                                                                              << QStringLiteral("[general] locked: only the system configuration can lock keys");
    }

    void lockedEntries()
    {
        QFETCH(QByteArray, system);
        QFETCH(QByteArray, user);
        QFETCH(QString, error);
        ConfigSources sources;
        sources.systemFiles = {write(QStringLiteral("system-%1.conf").arg(++m_files), system)};
        if (!user.isEmpty())
            sources.userFile = write(QStringLiteral("user-%1.conf").arg(++m_files), user);
        const Config config = ConfigLoader::load(sources);
        QCOMPARE(errorsOf(config).isEmpty(), error.isEmpty());
        if (error.isEmpty())
            return;
        QVERIFY2(errorsOf(config).contains(error), qPrintable(errorsOf(config)));
        QVERIFY(config.hasGeneralErrors()); // like any broken general key: sign-in refused until fixed
        const auto found = std::find_if(config.problems.cbegin(), config.problems.cend(), [](const ConfigProblem &p) { return p.isError(); });
        QVERIFY(found != config.problems.cend());
        const ConfigProblem problem = *found;
        QCOMPARE(problem.file, user.isEmpty() ? sources.systemFiles.first() : sources.userFile);
        QCOMPARE(problem.group, QStringLiteral("general"));
        QCOMPARE(problem.key, QStringLiteral("locked"));
        // What is correctly locked stays locked.
        if (QByteArray(QTest::currentDataTag()).contains("while the system locks it"))
            QVERIFY(config.lockedKeys.contains(QStringLiteral("session_age")));
    }

    // An unknown key or group is only ignored by the agent, but marked so --check-config fails on it.
    void unknownNamesAreMarked()
    {
        const Config config = loadUser("sesion_age = 5\n[role]\nx = role:y\n[app.x]\nexe = /usr/bin/x\npath = /x\n" + goodProvider() + "clientid = x\n");
        QCOMPARE(errorsOf(config), QString());
        QStringList unknown;
        for (const auto &p : config.allProblems()) {
            if (p.unknownName)
                unknown << p.group + QLatin1Char(' ') + p.key;
        }
        unknown.sort();
        QCOMPARE(unknown, (QStringList{QStringLiteral("app.x path"), QStringLiteral("general sesion_age"), QStringLiteral("provider.demo clientid"),
                                       QStringLiteral("role ")}));
    }

    // The Windows registry policy (HKLM\\Software\\Policies\\Signet), read on Linux from a file laid
    // out as the registry is: [general]'s keys at the top, groups as subkeys, every value a string
    // (REG_SZ) as a GPO writes it. It is a system source: it may lock keys, and it wins over files.
    void registryPolicy_data()
    {
        QTest::addColumn<QByteArray>("registry");  // IniFormat: unquoted values are strings, quoted ones keep their commas
        QTest::addColumn<QByteArray>("system");    // a system file beneath it, or empty
        QTest::addColumn<QByteArray>("user");      // the user's file, or empty
        QTest::addColumn<QString>("allowedDomains");
        QTest::addColumn<qint64>("sessionAge");
        QTest::addColumn<QString>("problem");      // a fragment of the only problem, or empty for none

        const QByteArray corp = "[provider.corp]\ntype = oidc\nissuer = https://idp.corp.example\nclient_id = official\n"
                                "display_name = \"Acme, Inc.\"\nallow_device_flow = 1\n";
        QTest::newRow("strings as a GPO writes them") << QByteArray("[general]\nallowed_domains = \"a.example, b.example\"\nsession_age = 600\n"
                                                                     "require_keychain = true\n" + corp)
                                                      << QByteArray() << QByteArray() << QStringLiteral("a.example,b.example") << qint64(600) << QString();
        QTest::newRow("wins over the system files") << QByteArray("[general]\nsession_age = 900\n")
                                                    << QByteArray("[general]\nsession_age = 1800\nallowed_domains = files.example\n" + corp)
                                                    << QByteArray() << QStringLiteral("files.example") << qint64(900) << QString();
        QTest::newRow("locks what the user's file sets") << QByteArray("[general]\nallowed_domains = corp.example\nlocked = \"allowed_domains, session_age\"\n" + corp)
                                                         << QByteArray() << QByteArray("[general]\nallowed_domains = *\nsession_age = 7200\n")
                                                         << QStringLiteral("corp.example") << qint64(3600)
                                                         << QStringLiteral("[general] allowed_domains: is locked by the system configuration");
        QTest::newRow("locks what it sets only in a file beneath") << QByteArray("[general]\nlocked = allowed_domains\n")
                                                                   << QByteArray("[general]\nallowed_domains = corp.example\n" + corp)
                                                                   << QByteArray("[general]\nallowed_domains = *\n")
                                                                   << QStringLiteral("corp.example") << qint64(3600) << QStringLiteral("allowed_domains: is locked");
        QTest::newRow("unlocked: the user's file still wins") << QByteArray("[general]\nsession_age = 900\n" + corp) << QByteArray()
                                                              << QByteArray("[general]\nsession_age = 1200\n") << QStringLiteral("<absent>") << qint64(1200) << QString();
        QTest::newRow("its problems name the registry, group and key") << QByteArray("[general]\nsession_age = soon\n" + corp) << QByteArray() << QByteArray()
                                                                        << QStringLiteral("<absent>") << qint64(3600)
                                                                        << QStringLiteral("@REGISTRY@: [general] session_age: 'soon' is not a duration");
        QTest::newRow("a bad lock in it is an error") << QByteArray("[general]\nlocked = provider.copr\n" + corp) << QByteArray() << QByteArray()
                                                      << QStringLiteral("<absent>") << qint64(3600)
                                                      << QStringLiteral("@REGISTRY@: [general] locked: 'provider.copr' names [provider.copr]");
    }

    void registryPolicy()
    {
        QFETCH(QByteArray, registry);
        QFETCH(QByteArray, system);
        QFETCH(QByteArray, user);
        QFETCH(QString, allowedDomains);
        QFETCH(qint64, sessionAge);
        QFETCH(QString, problem);
        ConfigSources sources;
        sources.policyRegistry = write(QStringLiteral("registry-%1.ini").arg(++m_files), registry);
        sources.policyRegistryFormat = QSettings::IniFormat;
        if (!system.isEmpty())
            sources.systemFiles = {write(QStringLiteral("system-%1.conf").arg(++m_files), system)};
        if (!user.isEmpty())
            sources.userFile = write(QStringLiteral("user-%1.conf").arg(++m_files), user);
        const Config config = ConfigLoader::load(sources);

        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        if (problem.isEmpty())
            QVERIFY2(texts.isEmpty(), qPrintable(texts.join(QLatin1Char('\n'))));
        else
            QVERIFY2(texts.join(QLatin1Char('\n')).contains(QString(problem).replace(QStringLiteral("@REGISTRY@"), sources.policyRegistry)),
                     qPrintable(texts.join(QLatin1Char('\n'))));
        QCOMPARE(config.policy.allowedDomains ? config.policy.allowedDomains->join(QLatin1Char(',')) : QStringLiteral("<absent>"), allowedDomains);
        QCOMPARE(qint64(config.sessionAge.count()), sessionAge);
        // Read after the system files, before the user's: its place in the precedence.
        QCOMPARE(config.files.indexOf(sources.policyRegistry), sources.systemFiles.size());
        if (const ProviderConfig *corp = config.provider(QStringLiteral("corp"))) {
            QCOMPARE(corp->displayName, QStringLiteral("Acme, Inc."));
            QVERIFY(corp->allowDeviceFlow); // "1" is true
        }
    }

    // The value types of the registry itself: REG_DWORD as a number, REG_MULTI_SZ as a list (one line:
    // a string, commas and all), REG_BINARY refused with where it is.
    void registryValueTypes()
    {
        ConfigSources sources;
        sources.policyRegistry = write(QStringLiteral("registry-%1.reg").arg(++m_files),
                                       "Windows Registry Editor Version 5.00\n\n"
                                       "[HKEY_LOCAL_MACHINE\\Software\\Policies\\Signet]\n"
                                       "\"session_age\"=dword:00000258\n"
                                       "\"allowed_domains\"=" + multiSz({QStringLiteral("a.example"), QStringLiteral("b.example")}) + "\n"
                                       "\"locked\"=\"allowed_domains, provider.corp\"\n"
                                       "\"providers\"=" + multiSz({QStringLiteral("corp")}) + "\n\n"
                                       "[HKEY_LOCAL_MACHINE\\Software\\Policies\\Signet\\provider.corp]\n"
                                       "\"type\"=\"oidc\"\n"
                                       "\"issuer\"=\"https://idp.corp.example\"\n"
                                       "\"client_id\"=\"official\"\n"
                                       "\"display_name\"=" + multiSz({QStringLiteral("Acme, Inc.")}) + "\n"
                                       "\"allow_device_flow\"=dword:00000001\n"
                                       "\"scopes\"=" + multiSz({QStringLiteral("openid"), QStringLiteral("email"), QStringLiteral("profile")}) + "\n"
                                       "\"logo\"=hex:00,01\n");
        sources.policyRegistryFormat = regFileFormat();
        sources.userFile = write(QStringLiteral("user-%1.conf").arg(++m_files), "[provider.corp]\nclient_id = mine\n");
        const Config config = ConfigLoader::load(sources);
        QCOMPARE(config.sessionAge, 600s);
        QVERIFY(config.policy.allowedDomains);
        QCOMPARE(*config.policy.allowedDomains, (QStringList{QStringLiteral("a.example"), QStringLiteral("b.example")}));
        const ProviderConfig *corp = config.provider(QStringLiteral("corp"));
        QVERIFY(corp);
        QCOMPARE(corp->clientId, QStringLiteral("official")); // locked by the registry
        QCOMPARE(corp->displayName, QStringLiteral("Acme, Inc."));
        QVERIFY(corp->allowDeviceFlow);
        QCOMPARE(corp->scopes, (QStringList{QStringLiteral("openid"), QStringLiteral("email"), QStringLiteral("profile")}));
        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        QCOMPARE(texts, (QStringList{sources.policyRegistry + QStringLiteral(": [provider.corp] logo: is neither a string (REG_SZ), a list of strings "
                                                                              "(REG_MULTI_SZ) nor a number (REG_DWORD); write it as REG_SZ"),
                                     sources.userFile + QStringLiteral(": [provider.corp] client_id: is locked by the system configuration; the value here is ignored")}));
    }

    // The example IT imports or turns into a GPO (installer/windows/signet-policy.reg) is read as the
    // example policy file is, and passes the same check.
    void shippedRegistryExample()
    {
        ConfigSources sources;
        sources.policyRegistry = QStringLiteral(SIGNET_SOURCE_DIR "/installer/windows/signet-policy.reg");
        sources.policyRegistryFormat = regFileFormat();
        const Config config = ConfigLoader::load(sources);
        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        QVERIFY2(texts.isEmpty(), qPrintable(texts.join(QLatin1Char('\n'))));
        QCOMPARE(config.files, QStringList{sources.policyRegistry});
        QCOMPARE(config.providers.size(), 1);
        QCOMPARE(config.providers.first().displayName, QStringLiteral("Acme, Inc."));
        QCOMPARE(*config.policy.allowedDomains, QStringList{QStringLiteral("acme.example")});
        QCOMPARE(config.policy.roleMap.value(QStringLiteral("developer")), QStringList{QStringLiteral("claim:groups=developers")});
        for (const char *key : {"allowed_domains", "roles", "provider.corp", "apps", "unknown_apps"})
            QVERIFY2(config.lockedKeys.contains(QLatin1String(key)), key);
    }

    // Nothing at the registry key (no GPO): no source, no problem.
    void registryPolicyAbsent()
    {
        ConfigSources sources;
        sources.policyRegistry = m_dir.filePath(QStringLiteral("no-such-registry.ini"));
        sources.policyRegistryFormat = QSettings::IniFormat;
        const Config config = ConfigLoader::load(sources);
        QVERIFY(config.files.isEmpty());
        QVERIFY(config.allProblems().isEmpty());
    }

    void policyKeys_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected"); // a problem fragment
        QTest::newRow("bad domain") << QByteArray("allowed_domains = corp.example.\n") << QStringLiteral("'corp.example.': the domain ends with a dot");
        QTest::newRow("any valid internationalised domain") << QByteArray("allowed_domains = \"c\xD0\xBErp.example\"\n") << QString(); // a real, different domain
        QTest::newRow("bad staff address") << QByteArray("staff = boss\n") << QStringLiteral("'boss' is not an e-mail address");
        QTest::newRow("bad preregistered") << QByteArray("preregistered = someone\n") << QStringLiteral("is not an e-mail address or <provider-id>:<account>");
        QTest::newRow("bad role name") << QByteArray("[roles]\nAdmin = role:x\n") << QStringLiteral("[roles] Admin: is not a role name");
        QTest::newRow("bad role source") << QByteArray("[roles]\nadmin = member:x\n") << QStringLiteral("'member:x' is not a role source");
        QTest::newRow("claim source needs a value") << QByteArray("[roles]\nadmin = claim:groups\n") << QStringLiteral("'claim:groups' is not a role source");
    }

    void policyKeys()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const Config config = loadUser(content + goodProvider());
        QStringList texts;
        for (const auto &p : config.allProblems())
            texts << p.toString();
        if (expected.isEmpty())
            QVERIFY2(texts.isEmpty(), qPrintable(texts.join(QLatin1Char('\n'))));
        else
            QVERIFY2(texts.join(QLatin1Char('\n')).contains(expected), qPrintable(texts.join(QLatin1Char('\n'))));
    }

    void policyDefaults()
    {
        const Config config = loadUser("allowed_domains = \"Corp.Example, b\xC3\xBC" "cher.example\"\nstaff = *\nadmins = Boss@Corp.Example\n"
                                       "preregistered = \"ann@corp.example, corp:42\"\nrefusal_help = \"Call 1234.\"\n"
                                       "[roles]\nvpn = \"group:g-1, claim:groups=vpn\"\n" + goodProvider() + "allowed_domains = partner.example\n");
        QVERIFY2(config.allProblems().isEmpty(), qPrintable(config.allProblems().value(0).toString()));
        QCOMPARE(*config.policy.allowedDomains, (QStringList{QStringLiteral("corp.example"), QStringLiteral("xn--bcher-kva.example")}));
        QVERIFY(config.policy.autoRegister);
        QVERIFY(!config.policy.alwaysUpdate);
        QCOMPARE(config.policy.staff, QStringList{QStringLiteral("*")});
        QCOMPARE(config.policy.admins, QStringList{QStringLiteral("boss@corp.example")});
        QCOMPARE(config.policy.preregistered, (QStringList{QStringLiteral("ann@corp.example"), QStringLiteral("corp:42")}));
        QCOMPARE(config.policy.refusalHelp, QStringLiteral("Call 1234."));
        QCOMPARE(config.policy.roleMap.value(QStringLiteral("vpn")), (QStringList{QStringLiteral("group:g-1"), QStringLiteral("claim:groups=vpn")}));
        QCOMPARE(*config.provider(QStringLiteral("demo"))->allowedDomains, QStringList{QStringLiteral("partner.example")});
        QVERIFY(!loadUser(goodProvider()).policy.allowedDomains.has_value()); // absent: nobody
    }

    void layering()
    {
        // XDG_CONFIG_DIRS order: the first directory wins over later ones; the user file wins over all.
        const QString high = write(QStringLiteral("high/signet/signet.conf"), "session_age = 1000\n");
        const QString low = write(QStringLiteral("low/signet/signet.conf"), "session_age = 2000\nstate_timeout = 30\n" + goodProvider());
        const QString user = write(QStringLiteral("layer-user.conf"), "state_timeout = 40\n[provider.demo]\ndisplay_name = Demo\n");

        ConfigSources sources;
        sources.systemFiles = {high, low};
        sources.userFile = user;
        const Config config = ConfigLoader::load(sources);
        QCOMPARE(errorsOf(config), QString());
        QCOMPARE(config.files, (QStringList{low, high, user}));
        QCOMPARE(config.sessionAge, 1000s);
        QCOMPARE(config.stateTimeout, 40s);
        QCOMPARE(config.providers.first().displayName, QStringLiteral("Demo"));
        QCOMPARE(config.providers.first().clientId, QStringLiteral("signet")); // from the system file
    }

    void errorsNameTheFileTheValueCameFrom()
    {
        const QString system = write(QStringLiteral("sys2/signet/signet.conf"), "http_timeout = never\n");
        ConfigSources sources;
        sources.systemFiles = {system};
        const Config config = ConfigLoader::load(sources);
        QVERIFY(config.hasGeneralErrors());
        QCOMPARE(config.problems.first().file, system);
        QCOMPARE(config.problems.first().key, QStringLiteral("http_timeout"));
    }

    void fromEnvironment()
    {
        qputenv("XDG_CONFIG_DIRS", "/a:/b");
        qputenv("XDG_CONFIG_HOME", "/home/x/.cfg");
        ConfigSources sources = ConfigSources::fromEnvironment();
        QCOMPARE(sources.systemFiles, (QStringList{QStringLiteral("/a/signet/signet.conf"), QStringLiteral("/b/signet/signet.conf")}));
        QCOMPARE(sources.userFile, QStringLiteral("/home/x/.cfg/signet/signet.conf"));
        QVERIFY(!sources.userFileRequired);
        sources = ConfigSources::fromEnvironment(QStringLiteral("/tmp/explicit.conf"));
        QCOMPARE(sources.userFile, QStringLiteral("/tmp/explicit.conf"));
        QVERIFY(sources.userFileRequired);
        qunsetenv("XDG_CONFIG_DIRS");
        sources = ConfigSources::fromEnvironment();
        QCOMPARE(sources.systemFiles, QStringList{QStringLiteral("/etc/xdg/signet/signet.conf")});
    }

    void providerOrderAndDisabling()
    {
        const Config config = loadUser("providers = zeta, alpha\n"
                                       "[provider.alpha]\ntype = oidc\nissuer = https://a.example\nclient_id = a\n"
                                       "[provider.beta]\ntype = oidc\nissuer = https://b.example\nclient_id = b\n"
                                       "[provider.zeta]\ntype = oidc\nissuer = https://z.example\nclient_id = z\n");
        QCOMPARE(config.providers.size(), 2);
        QCOMPARE(config.providers.at(0).id, QStringLiteral("zeta"));
        QCOMPARE(config.providers.at(1).id, QStringLiteral("alpha"));
        QVERIFY(!config.hasGeneralErrors());
        QVERIFY(config.allProblems().first().toString().contains(QStringLiteral("[provider.beta]: is not listed in 'providers'")));
    }

    void caFileIsLoaded()
    {
        const QString cert = m_dir.filePath(QStringLiteral("ca.pem"));
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"), {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("ec"),
                                                  QStringLiteral("-pkeyopt"), QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                                                  QStringLiteral("-keyout"), m_dir.filePath(QStringLiteral("ca.key")), QStringLiteral("-out"), cert,
                                                  QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=proxy")});
        QVERIFY(openssl.waitForFinished(30000) && openssl.exitCode() == 0);
        const Config config = loadUser("ca_file = " + cert.toUtf8() + "\n" + goodProvider());
        QCOMPARE(errorsOf(config), QString());
        QCOMPARE(config.providers.first().caFile, cert); // inherited from [general]
        QCOMPARE(config.providers.first().extraCaCertificates.size(), 1);
    }

    void scopesAsListOrSpaces()
    {
        Config config = loadUser(goodProvider() + "scopes = openid email offline_access\n");
        QCOMPARE(config.providers.first().scopes.size(), 3);
        config = loadUser(goodProvider() + "scopes = openid, email\n");
        QCOMPARE(config.providers.first().scopes, (QStringList{QStringLiteral("openid"), QStringLiteral("email")}));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
