// The policy: the e-mail domain matcher against every trick in the book, the account registry on disk,
// and admission, registration and roles, table by table.

#include "policy/accountregistry.h"
#include "policy/auditlog.h"
#include "policy/emaildomain.h"
#include "policy/policy.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QTemporaryDir>
#include <QTest>

using namespace Signet;

class TestPolicy : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    static ProviderConfig provider()
    {
        ProviderConfig p;
        p.id = QStringLiteral("corp");
        p.displayName = QStringLiteral("Corp");
        return p;
    }
    static Identity person(const QString &email, bool verified = true, const QString &subject = QStringLiteral("s-1"))
    {
        Identity identity;
        identity.provider = QStringLiteral("corp");
        identity.issuer = QStringLiteral("https://idp.corp.example");
        identity.subject = subject;
        identity.email = email;
        identity.emailVerified = verified;
        return identity;
    }
    static QStringList domains(const QStringList &written)
    {
        QStringList result;
        for (const QString &d : written)
            result << (d == QLatin1String("*") ? d : EmailDomain::normalize(d).value_or(QStringLiteral("<invalid>")));
        return result;
    }

private Q_SLOTS:
    void domainMatcher_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<QStringList>("allowed");
        QTest::addColumn<bool>("admitted");

        const QStringList corp{QStringLiteral("corp.com")};
        QTest::newRow("exact") << QStringLiteral("alice@corp.com") << corp << true;
        QTest::newRow("case") << QStringLiteral("Alice@CORP.Com") << corp << true;
        QTest::newRow("substring (mail.com vs gmail.com)") << QStringLiteral("eve@gmail.com") << QStringList{QStringLiteral("mail.com")} << false;
        QTest::newRow("suffix of another domain") << QStringLiteral("eve@evilcorp.com") << corp << false;
        QTest::newRow("two @") << QStringLiteral("eve@evil.com@corp.com") << corp << false;
        QTest::newRow("two @, allowed first") << QStringLiteral("eve@corp.com@evil.com") << corp << false;
        QTest::newRow("allowed domain as a subdomain") << QStringLiteral("eve@corp.com.evil.com") << corp << false;
        QTest::newRow("subdomain not listed") << QStringLiteral("bob@eu.corp.com") << corp << false;
        QTest::newRow("trailing dot") << QStringLiteral("eve@corp.com.") << corp << false;
        QTest::newRow("empty label") << QStringLiteral("eve@corp..com") << corp << false;
        QTest::newRow("Cyrillic o look-alike") << QStringLiteral("eve@c\u043Erp.com") << corp << false;
        QTest::newRow("fullwidth c") << QStringLiteral("eve@\uFF43orp.com") << corp << false;
        QTest::newRow("zero-width space") << QStringLiteral("eve@corp.com\u200B") << corp << false;
        QTest::newRow("space in the local part") << QStringLiteral("eve corp@corp.com") << corp << false;
        QTest::newRow("no local part") << QStringLiteral("@corp.com") << corp << false;
        QTest::newRow("no domain") << QStringLiteral("alice@") << corp << false;
        QTest::newRow("no @") << QStringLiteral("alice.corp.com") << corp << false;
        QTest::newRow("internationalised, listed in Unicode") << QStringLiteral("anna@b\u00FCcher.example") << QStringList{QStringLiteral("b\u00FCcher.example")} << true;
        QTest::newRow("internationalised, address in ASCII form") << QStringLiteral("anna@xn--bcher-kva.example") << QStringList{QStringLiteral("b\u00FCcher.example")} << true;
        QTest::newRow("internationalised look-alike") << QStringLiteral("anna@bucher.example") << QStringList{QStringLiteral("b\u00FCcher.example")} << false;
        QTest::newRow("one of several") << QStringLiteral("bob@example.org") << QStringList{QStringLiteral("example.com"), QStringLiteral("example.org")} << true;
        QTest::newRow("star") << QStringLiteral("anyone@anywhere.example") << QStringList{QStringLiteral("*")} << true;
        QTest::newRow("star still needs an address") << QStringLiteral("eve@evil.com@corp.com") << QStringList{QStringLiteral("*")} << false;
        QTest::newRow("nothing listed") << QStringLiteral("alice@corp.com") << QStringList{} << false;
    }

    void domainMatcher()
    {
        QFETCH(QString, address);
        QFETCH(QStringList, allowed);
        QFETCH(bool, admitted);
        QString problem;
        QCOMPARE(EmailDomain::isAllowed(address, domains(allowed), &problem), admitted);
        QCOMPARE(problem.isEmpty(), admitted); // a refusal always says why
    }

    void normalizeDomains_data()
    {
        QTest::addColumn<QString>("written");
        QTest::addColumn<QString>("normalized"); // empty: refused
        QTest::newRow("ascii") << QStringLiteral("Example.COM") << QStringLiteral("example.com");
        QTest::newRow("unicode") << QStringLiteral("b\u00FCcher.example") << QStringLiteral("xn--bcher-kva.example");
        QTest::newRow("ace") << QStringLiteral("xn--bcher-kva.example") << QStringLiteral("xn--bcher-kva.example");
        QTest::newRow("trailing dot") << QStringLiteral("example.com.") << QString();
        QTest::newRow("single label") << QStringLiteral("localhost") << QString();
        QTest::newRow("underscore") << QStringLiteral("ex_ample.com") << QString();
        QTest::newRow("fullwidth") << QStringLiteral("\uFF45xample.com") << QString();
    }

    void normalizeDomains()
    {
        QFETCH(QString, written);
        QFETCH(QString, normalized);
        QCOMPARE(EmailDomain::normalize(written).value_or(QString()), normalized);
    }

    void admission_data()
    {
        QTest::addColumn<QStringList>("allowed"); // "<absent>" for no key
        QTest::addColumn<QString>("email");
        QTest::addColumn<bool>("verified");
        QTest::addColumn<QString>("check"); // empty: admitted

        QTest::newRow("no allowed_domains: nobody") << QStringList{QStringLiteral("<absent>")} << QStringLiteral("alice@corp.com") << true << QStringLiteral("allowed_domains");
        QTest::newRow("allowed") << QStringList{QStringLiteral("corp.com")} << QStringLiteral("alice@corp.com") << true << QString();
        QTest::newRow("other domain") << QStringList{QStringLiteral("corp.com")} << QStringLiteral("bob@other.com") << true << QStringLiteral("allowed_domains");
        QTest::newRow("unverified address") << QStringList{QStringLiteral("corp.com")} << QStringLiteral("carol@corp.com") << false << QStringLiteral("email_verified");
        QTest::newRow("no address") << QStringList{QStringLiteral("corp.com")} << QString() << false << QStringLiteral("email_verified");
        QTest::newRow("star admits the unverified") << QStringList{QStringLiteral("*")} << QStringLiteral("carol@corp.com") << false << QString();
        QTest::newRow("star admits without address") << QStringList{QStringLiteral("*")} << QString() << false << QString();
    }

    void admission()
    {
        QFETCH(QStringList, allowed);
        QFETCH(QString, email);
        QFETCH(bool, verified);
        QFETCH(QString, check);
        PolicyConfig config;
        if (allowed != QStringList{QStringLiteral("<absent>")})
            config.allowedDomains = domains(allowed);
        config.refusalHelp = QStringLiteral("Help: https://it.corp.example/signet");
        AccountRegistry registry(m_dir.filePath(QStringLiteral("%1.json").arg(QString::fromLatin1(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-')))));
        Policy policy(config, &registry);
        Identity identity = person(email, verified);
        const SignInError error = policy.admit(provider(), {}, &identity);
        QCOMPARE(error.check, check);
        if (!check.isEmpty()) {
            QCOMPARE(error.code, SignInError::Code::PolicyRefused);
            QVERIFY2(error.message.endsWith(QStringLiteral("Help: https://it.corp.example/signet")), qPrintable(error.message));
            QVERIFY(registry.accounts().isEmpty()); // nothing registered for a refused person
        } else {
            QCOMPARE(registry.accounts().size(), 1);
        }
    }

    void providerDomainsReplaceGeneral()
    {
        PolicyConfig config;
        config.allowedDomains = domains({QStringLiteral("corp.com")});
        ProviderConfig partner = provider();
        partner.allowedDomains = domains({QStringLiteral("partner.example")});
        Policy policy(config, nullptr);
        Identity alice = person(QStringLiteral("alice@corp.com"));
        QCOMPARE(policy.admit(partner, {}, &alice).check, QStringLiteral("allowed_domains"));
        Identity pat = person(QStringLiteral("pat@partner.example"));
        QVERIFY(!policy.admit(partner, {}, &pat).isError());
        QCOMPARE(policy.admit(provider(), {}, &pat).check, QStringLiteral("allowed_domains"));
    }

    void registration_data()
    {
        QTest::addColumn<bool>("autoRegister");
        QTest::addColumn<QStringList>("preregistered");
        QTest::addColumn<bool>("knownBefore");
        QTest::addColumn<bool>("admitted");
        QTest::newRow("auto_register on") << true << QStringList{} << false << true;
        QTest::newRow("off, unknown") << false << QStringList{} << false << false;
        QTest::newRow("off, known before") << false << QStringList{} << true << true;
        QTest::newRow("off, pre-registered by address") << false << QStringList{QStringLiteral("alice@corp.com")} << false << true;
        QTest::newRow("off, pre-registered by account") << false << QStringList{QStringLiteral("corp:s-1")} << false << true;
        QTest::newRow("off, another account pre-registered") << false << QStringList{QStringLiteral("corp:s-2"), QStringLiteral("bob@corp.com")} << false << false;
    }

    void registration()
    {
        QFETCH(bool, autoRegister);
        QFETCH(QStringList, preregistered);
        QFETCH(bool, knownBefore);
        QFETCH(bool, admitted);
        PolicyConfig config;
        config.allowedDomains = domains({QStringLiteral("corp.com")});
        config.autoRegister = autoRegister;
        config.preregistered = preregistered;
        AccountRegistry registry(m_dir.filePath(QStringLiteral("registration-%1.json").arg(QString::fromLatin1(QTest::currentDataTag())).replace(QLatin1Char(' '), QLatin1Char('-'))));
        if (knownBefore)
            registry.upsert({QStringLiteral("https://idp.corp.example"), QStringLiteral("s-1"), QStringLiteral("corp"), {}, {}, {}, {}, {}});
        Policy policy(config, &registry);
        Identity identity = person(QStringLiteral("alice@corp.com"));
        const SignInError error = policy.admit(provider(), {}, &identity);
        QCOMPARE(!error.isError(), admitted);
        if (!admitted) {
            QCOMPARE(error.check, QStringLiteral("not_registered"));
            QVERIFY(error.message.contains(QStringLiteral("alice@corp.com")));
        }
    }

    void accountsAreKeyedByIssuerAndSubjectNeverByAddress()
    {
        PolicyConfig config;
        config.allowedDomains = domains({QStringLiteral("corp.com")});
        config.autoRegister = false;
        AccountRegistry registry(m_dir.filePath(QStringLiteral("keys.json")));
        // Registered: alice with subject s-1. Someone else with alice's address is not her.
        registry.upsert({QStringLiteral("https://idp.corp.example"), QStringLiteral("s-1"), QStringLiteral("corp"), QStringLiteral("alice@corp.com"), {}, {}, {}, {}});
        Policy policy(config, &registry);
        Identity impostor = person(QStringLiteral("alice@corp.com"), true, QStringLiteral("s-666"));
        QCOMPARE(policy.admit(provider(), {}, &impostor).check, QStringLiteral("not_registered"));
        Identity elsewhere = person(QStringLiteral("alice@corp.com"));
        elsewhere.issuer = QStringLiteral("https://other-idp.example");
        QCOMPARE(policy.admit(provider(), {}, &elsewhere).check, QStringLiteral("not_registered"));
        Identity alice = person(QStringLiteral("alice@corp.com"));
        QVERIFY(!policy.admit(provider(), {}, &alice).isError());
        // Entra: the account key (tid/oid) decides, not the pairwise subject.
        registry.upsert({QStringLiteral("https://idp.corp.example"), QStringLiteral("tid/oid"), QStringLiteral("corp"), {}, {}, {}, {}, {}});
        Identity entra = person(QStringLiteral("x@corp.com"), true, QStringLiteral("pairwise-sub"));
        entra.accountKey = QStringLiteral("tid/oid");
        QVERIFY(!policy.admit(provider(), {}, &entra).isError());
    }

    void staffAndAdmins()
    {
        PolicyConfig config;
        config.allowedDomains = domains({QStringLiteral("corp.com")});
        config.staff = {QStringLiteral("*")};
        config.admins = {QStringLiteral("boss@corp.com")};
        AccountRegistry registry(m_dir.filePath(QStringLiteral("roles.json")));
        {
            Policy policy(config, &registry);
            Identity boss = person(QStringLiteral("Boss@Corp.com"), true, QStringLiteral("b"));
            QVERIFY(!policy.admit(provider(), {}, &boss).isError());
            QCOMPARE(boss.signetRoles, (QStringList{QStringLiteral("admin"), QStringLiteral("staff")}));
            Identity worker = person(QStringLiteral("worker@corp.com"), true, QStringLiteral("w"));
            QVERIFY(!policy.admit(provider(), {}, &worker).isError());
            QCOMPARE(worker.signetRoles, QStringList{QStringLiteral("staff")});
        }
        // The lists change; without always_update the registered roles stay.
        config.staff = {};
        config.admins = {QStringLiteral("worker@corp.com")};
        {
            Policy policy(config, &registry);
            Identity worker = person(QStringLiteral("worker@corp.com"), true, QStringLiteral("w"));
            QVERIFY(!policy.admit(provider(), {}, &worker).isError());
            QCOMPARE(worker.signetRoles, QStringList{QStringLiteral("staff")});
        }
        config.alwaysUpdate = true;
        {
            Policy policy(config, &registry);
            Identity worker = person(QStringLiteral("worker@corp.com"), true, QStringLiteral("w"));
            QVERIFY(!policy.admit(provider(), {}, &worker).isError());
            QCOMPARE(worker.signetRoles, QStringList{QStringLiteral("admin")});
            // An unverified address is never on a list (except *).
            config.admins = {QStringLiteral("carol@corp.com")};
        }
        {
            config.allowedDomains = QStringList{QStringLiteral("*")};
            Policy policy(config, &registry);
            Identity carol = person(QStringLiteral("carol@corp.com"), false, QStringLiteral("c"));
            QVERIFY(!policy.admit(provider(), {}, &carol).isError());
            QVERIFY(carol.signetRoles.isEmpty());
        }
    }

    void roleMapping_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<bool>("granted");
        QTest::addColumn<bool>("complete");
        QTest::newRow("app role") << QStringLiteral("role:Signet.Admin") << true << true;
        QTest::newRow("app role absent") << QStringLiteral("role:Other") << false << true;
        QTest::newRow("group") << QStringLiteral("group:g-1") << true << true;
        QTest::newRow("group absent") << QStringLiteral("group:g-9") << false << true;
        QTest::newRow("org, any case") << QStringLiteral("org:Acme") << true << true;
        QTest::newRow("team") << QStringLiteral("team:acme/desktop") << true << true;
        QTest::newRow("claim string") << QStringLiteral("claim:department=it") << true << true;
        QTest::newRow("claim string differs") << QStringLiteral("claim:department=sales") << false << true;
        QTest::newRow("claim array") << QStringLiteral("claim:entitlements=vpn") << true << true;
        QTest::newRow("claim bool") << QStringLiteral("claim:contractor=false") << true << true;
        QTest::newRow("claim missing") << QStringLiteral("claim:nope=x") << false << true;
    }

    void roleMapping()
    {
        QFETCH(QString, source);
        QFETCH(bool, granted);
        QFETCH(bool, complete);
        Identity identity = person(QStringLiteral("a@corp.com"));
        identity.roles = {QStringLiteral("Signet.Admin")};
        identity.groups = {QStringLiteral("g-1")};
        identity.organizations = {QStringLiteral("acme")};
        identity.teams = {QStringLiteral("acme/desktop")};
        const QJsonObject claims{{QStringLiteral("department"), QStringLiteral("it")},
                                 {QStringLiteral("entitlements"), QJsonArray{QStringLiteral("mail"), QStringLiteral("vpn")}},
                                 {QStringLiteral("contractor"), false}};
        bool known = false;
        const QStringList roles = Policy::mappedRoles({{QStringLiteral("mapped"), {source}}}, identity, claims, &known);
        QCOMPARE(roles.contains(QStringLiteral("mapped")), granted);
        QCOMPARE(known, complete);
    }

    void groupOverageIsUnknownNotAbsent()
    {
        Identity identity = person(QStringLiteral("a@corp.com"));
        identity.groupsOverage = true;
        bool complete = true;
        const QStringList roles = Policy::mappedRoles({{QStringLiteral("vpn"), {QStringLiteral("group:g-1")}}}, identity, {}, &complete);
        QVERIFY(roles.isEmpty());
        QVERIFY(!complete);
        // Through admit: the identity says its roles are incomplete.
        PolicyConfig config;
        config.allowedDomains = QStringList{QStringLiteral("*")};
        config.roleMap = {{QStringLiteral("vpn"), {QStringLiteral("group:g-1")}}};
        Policy policy(config, nullptr);
        QVERIFY(!policy.admit(provider(), {}, &identity).isError());
        QVERIFY(!identity.rolesComplete);
        QCOMPARE(identity.toJson().value(QLatin1String("roles_complete")).toBool(true), false);
    }

    void registryRoundTripIsPrivate()
    {
        const QString path = m_dir.filePath(QStringLiteral("state/signet/accounts.json"));
        AccountRegistry registry(path);
        QVERIFY(registry.load());
        registry.upsert({QStringLiteral("iss"), QStringLiteral("acc"), QStringLiteral("corp"), QStringLiteral("a@corp.com"), QStringLiteral("A"),
                         {QStringLiteral("staff")}, QDateTime::currentDateTimeUtc(), QDateTime::currentDateTimeUtc()});
        QString problem;
        QVERIFY2(registry.save(&problem), qPrintable(problem));
        QCOMPARE(QFile::permissions(path), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ReadUser | QFileDevice::WriteUser);
        AccountRegistry again(path);
        QVERIFY(again.load());
        QCOMPARE(again.accounts().size(), 1);
        QCOMPARE(again.find(QStringLiteral("iss"), QStringLiteral("acc"))->roles, QStringList{QStringLiteral("staff")});
        QVERIFY(!again.find(QStringLiteral("iss"), QStringLiteral("other")));
    }

    void auditLogIsPrivateAndRotates()
    {
        const QString path = m_dir.filePath(QStringLiteral("audit/signet/audit.jsonl"));
        AuditLog log(path);
        log.record(QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("corp")}, {QStringLiteral("account"), QStringLiteral("s-1")}});
        QCOMPARE(QFile::permissions(path) & (QFileDevice::ReadGroup | QFileDevice::ReadOther | QFileDevice::WriteGroup | QFileDevice::WriteOther), QFileDevice::Permissions());
        QCOMPARE(QFile::permissions(QFileInfo(path).absolutePath()) & (QFileDevice::ReadOther | QFileDevice::ExeOther), QFileDevice::Permissions());
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject entry = QJsonDocument::fromJson(file.readLine()).object();
        QCOMPARE(entry.value(QLatin1String("event")).toString(), QStringLiteral("signin"));
        QCOMPARE(entry.value(QLatin1String("account")).toString(), QStringLiteral("s-1"));
        QVERIFY(QDateTime::fromString(entry.value(QLatin1String("time")).toString(), Qt::ISODateWithMs).isValid());
        file.close();

        // Past MaxBytes the file moves to .1, .2, …; at most Keep old files stay.
        const QString padding(2000, QLatin1Char('x'));
        QLoggingCategory::setFilterRules(QStringLiteral("signet.audit.info=false")); // thousands of lines otherwise
        for (int i = 0; i < int(AuditLog::MaxBytes / 2000) * (AuditLog::Keep + 2); ++i)
            log.record(QStringLiteral("filler"), {{QStringLiteral("padding"), padding}});
        QVERIFY(QFileInfo(path).size() <= AuditLog::MaxBytes);
        for (int i = 1; i <= AuditLog::Keep; ++i)
            QVERIFY2(QFileInfo::exists(path + QStringLiteral(".%1").arg(i)), qPrintable(QString::number(i)));
        QVERIFY(!QFileInfo::exists(path + QStringLiteral(".%1").arg(AuditLog::Keep + 1)));
        QLoggingCategory::setFilterRules(QString());
    }

    void unreadableRegistryIsSetAsideNotLost()
    {
        const QString path = m_dir.filePath(QStringLiteral("broken/accounts.json"));
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{ not json");
        file.close();
        AccountRegistry registry(path);
        QString problem;
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("moved to .*unreadable-")));
        QVERIFY(!registry.load(&problem));
        QVERIFY(problem.contains(QStringLiteral("moved to")));
        QVERIFY(registry.accounts().isEmpty());
        const QStringList aside = QDir(QFileInfo(path).absolutePath()).entryList({QStringLiteral("accounts.json.unreadable-*")});
        QCOMPARE(aside.size(), 1);
        QFile kept(QFileInfo(path).absolutePath() + QLatin1Char('/') + aside.first());
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("{ not json")); // the old content is still there
    }
};

QTEST_GUILESS_MAIN(TestPolicy)
#include "tst_policy.moc"
