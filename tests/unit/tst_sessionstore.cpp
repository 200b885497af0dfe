// The stored session against the real Secret Service of scripts/with-keyring.sh: secrets in the keychain
// and nowhere on disk; a sign-out (clear) that overtakes a save in flight wins, so a renewal finishing
// after it cannot bring the session back at the next start; a record whose keychain entry is really
// gone is cleared and the probe that told "gone" from "locked" leaves nothing in the keychain.

#include "store/sessionstore.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <optional>

using namespace Signet;

// The keychain entries as they are, for checking what a SessionStore left there.
class RawKeychain : public Keychain
{
public:
    using Keychain::readEntry;
};

class TestSessionStore : public QObject
{
    Q_OBJECT

    std::optional<QTemporaryDir> m_home;
    QString m_stateDir; // not there yet, as at the very first start
    RawKeychain m_raw;

    static SessionStore::Stored session(const QString &suffix)
    {
        SessionStore::Stored stored;
        stored.identity.provider = QStringLiteral("demo");
        stored.identity.issuer = QStringLiteral("http://127.0.0.1:1/");
        stored.identity.subject = QStringLiteral("tst-sessionstore-") + QUuid::createUuid().toString(QUuid::WithoutBraces);
        stored.identity.email = QStringLiteral("alice@example.com");
        stored.identity.signedInAt = QDateTime::currentDateTimeUtc();
        stored.identity.expiresAt = stored.identity.signedInAt.addSecs(3600);
        stored.tokens.accessToken = QStringLiteral("access-secret-") + suffix;
        stored.tokens.refreshToken = QStringLiteral("refresh-secret-") + suffix;
        stored.tokens.idToken = QStringLiteral("id-secret-") + suffix;
        stored.tokens.accessTokenExpiresAt = stored.identity.expiresAt;
        stored.clientId = QStringLiteral("tst");
        return stored;
    }

    static Keychain::Result save(SessionStore &store, const SessionStore::Stored &stored)
    {
        std::optional<Keychain::Result> answer;
        store.save(stored, [&answer](const Keychain::Result &result) { answer = result; });
        if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 15000))
            return {Keychain::Error::Failed, QStringLiteral("no answer"), {}};
        return *answer;
    }

    static std::pair<Keychain::Result, SessionStore::Stored> load(SessionStore &store)
    {
        std::optional<std::pair<Keychain::Result, SessionStore::Stored>> answer;
        store.load([&answer](const Keychain::Result &result, const SessionStore::Stored &stored) { answer = {result, stored}; });
        if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 15000))
            return {{Keychain::Error::Failed, QStringLiteral("no answer"), {}}, {}};
        return *answer;
    }

    // Until every keychain call of the store has answered (QtKeychain's Secret Service backend must not see
    // a job deleted while its D-Bus call runs).
    static void settle(SessionStore &store)
    {
        bool idle = false;
        store.whenIdle(std::chrono::seconds(15), [&idle] { idle = true; });
        QTRY_VERIFY_WITH_TIMEOUT(idle, 16000);
    }

    Keychain::Error entryState(const QString &key)
    {
        std::optional<Keychain::Result> answer;
        m_raw.readEntry(key, [&answer](const Keychain::Result &result) { answer = result; });
        if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 15000))
            return Keychain::Error::Failed;
        return answer->error;
    }

    QString installationId() const
    {
        QFile file(QDir(m_stateDir).filePath(QStringLiteral("installation-id")));
        return file.open(QIODevice::ReadOnly) ? QString::fromLatin1(file.readAll().trimmed()) : QString();
    }
    QString keyOf(const SessionStore::Stored &stored) const
    {
        return installationId() + QLatin1Char('/') + stored.identity.provider + QLatin1Char('/') + stored.identity.account();
    }
    QByteArray recordBytes(const SessionStore &store) const
    {
        QFile file(store.recordPath());
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"), "run under scripts/with-keyring.sh (scripts/test.sh does): a Secret Service is needed");
    }

    void init()
    {
        m_home.emplace();
        QVERIFY(m_home->isValid());
        m_stateDir = m_home->filePath(QStringLiteral("state/signet"));
    }

    void savedSessionLoadsBackWithItsSecretsOnlyInTheKeychain()
    {
        const SessionStore::Stored stored = session(QStringLiteral("1"));
        {
            SessionStore store(m_stateDir);
            QVERIFY(save(store, stored).ok());
            settle(store);
            const QByteArray record = recordBytes(store);
            QVERIFY(!record.isEmpty());
            for (const QString &secret : {stored.tokens.accessToken, stored.tokens.refreshToken, stored.tokens.idToken})
                QVERIFY2(!record.contains(secret.toUtf8()), "a secret reached the record on disk");
        }
        SessionStore restarted(m_stateDir);
        const auto [result, loaded] = load(restarted);
        QVERIFY2(result.ok(), qPrintable(result.message));
        QCOMPARE(loaded.tokens.refreshToken, stored.tokens.refreshToken);
        QCOMPARE(loaded.identity.subject, stored.identity.subject);
        std::optional<Keychain::Result> cleared;
        restarted.clear([&cleared](const Keychain::Result &r) { cleared = r; });
        QTRY_VERIFY(cleared.has_value());
        QVERIFY2(cleared->ok(), qPrintable(cleared->message));
        settle(restarted);
        QCOMPARE(entryState(keyOf(stored)), Keychain::Error::NotFound);
    }

    // A renewal's save in flight, then a sign-out: the record must not come back, nor the entry stay.
    void clearOvertakingASaveWins()
    {
        SessionStore store(m_stateDir);
        const SessionStore::Stored first = session(QStringLiteral("first"));
        QVERIFY(save(store, first).ok()); // the installation id is written with the first stored session
        SessionStore::Stored renewed = first;
        renewed.tokens.refreshToken = QStringLiteral("refresh-secret-renewed");

        std::optional<Keychain::Result> saved;
        store.save(renewed, [&saved](const Keychain::Result &result) { saved = result; });
        std::optional<Keychain::Result> cleared;
        store.clear([&cleared](const Keychain::Result &result) { cleared = result; });
        QTRY_VERIFY(saved.has_value() && cleared.has_value());
        QCOMPARE(saved->error, Keychain::Error::Failed);
        QVERIFY2(saved->message.contains(QLatin1String("ended while it was being stored")), qPrintable(saved->message));
        settle(store);
        QVERIFY(!QFile::exists(store.recordPath()));
        QCOMPARE(entryState(keyOf(first)), Keychain::Error::NotFound);

        SessionStore restarted(m_stateDir);
        QCOMPARE(load(restarted).first.error, Keychain::Error::NotFound);
        settle(restarted);
    }

    // Clearing before a save starts (sign out, sign in again) keeps the new session.
    void saveAfterAClearIsKept()
    {
        SessionStore store(m_stateDir);
        QVERIFY(save(store, session(QStringLiteral("a"))).ok());
        store.clear();
        const SessionStore::Stored next = session(QStringLiteral("b"));
        QVERIFY(save(store, next).ok());
        settle(store);
        SessionStore restarted(m_stateDir);
        const auto [result, loaded] = load(restarted);
        QVERIFY2(result.ok(), qPrintable(result.message));
        QCOMPARE(loaded.tokens.accessToken, next.tokens.accessToken);
        restarted.clear();
        settle(restarted);
    }

    // The entry is gone from an unlocked keychain (removed by hand, say): the record goes too, and the
    // probe write that told "gone" from "locked" is not left in the keychain.
    void goneEntryClearsTheRecordAndLeavesNoProbe()
    {
        const SessionStore::Stored stored = session(QStringLiteral("gone"));
        {
            SessionStore store(m_stateDir);
            QVERIFY(save(store, stored).ok());
            settle(store);
        }
        std::optional<Keychain::Result> removed;
        Keychain keychain;
        keychain.remove(keyOf(stored), [&removed](const Keychain::Result &result) { removed = result; });
        QTRY_VERIFY(removed.has_value());
        QVERIFY(removed->ok());

        SessionStore restarted(m_stateDir);
        QCOMPARE(load(restarted).first.error, Keychain::Error::NotFound);
        settle(restarted);
        QVERIFY(!QFile::exists(restarted.recordPath()));
        QCOMPARE(entryState(installationId() + QStringLiteral("/probe")), Keychain::Error::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestSessionStore)
#include "tst_sessionstore.moc"
