// Keychain values in parts (Windows' Credential Manager keeps at most 2560 bytes per entry): against the real
// Secret Service of scripts/with-keyring.sh, with a small part size so that Linux exercises what Windows needs.
// A value in parts reads back whole; replacing it removes the parts no manifest names; a manifest whose parts are
// missing or altered reads as NotFound (a broken entry), never as a wrong value; and at either moment a kill can
// interrupt a replacement — new parts written, manifest not yet; manifest replaced, old parts not yet removed —
// the value read is one whole value, old or new.

#include "store/keychain.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QTest>
#include <QUuid>

#include <optional>

using namespace Signet;

// The entries as they are stored, parts and manifests as such (Keychain itself reads a manifest's parts
// whatever its limit).
class RawKeychain : public Keychain
{
public:
    using Keychain::readEntry;
    using Keychain::removeEntry;
    using Keychain::writeEntry;
};

class TestKeychain : public QObject
{
    Q_OBJECT

    static constexpr qsizetype PartBytes = 100;
    Keychain m_parted;
    Keychain m_plain; // no limit, as on Linux and macOS
    RawKeychain m_raw;
    QString m_key;

    // Runs one keychain operation to its answer.
    static Keychain::Result run(const std::function<void(Keychain::Callback)> &operation)
    {
        std::optional<Keychain::Result> answer;
        operation([&answer](const Keychain::Result &result) { answer = result; });
        if (!QTest::qWaitFor([&answer] { return answer.has_value(); }, 15000))
            return {Keychain::Error::Failed, QStringLiteral("no answer"), {}};
        return *answer;
    }
    Keychain::Result write(Keychain &keychain, const QString &key, const QByteArray &data)
    {
        return run([&](Keychain::Callback done) { keychain.write(key, data, done); });
    }
    Keychain::Result read(Keychain &keychain, const QString &key)
    {
        return run([&](Keychain::Callback done) { keychain.read(key, done); });
    }
    Keychain::Result remove(Keychain &keychain, const QString &key)
    {
        return run([&](Keychain::Callback done) { keychain.remove(key, done); });
    }
    Keychain::Result write(RawKeychain &keychain, const QString &key, const QByteArray &data)
    {
        return run([&](Keychain::Callback done) { keychain.writeEntry(key, data, done); });
    }
    Keychain::Result read(RawKeychain &keychain, const QString &key)
    {
        return run([&](Keychain::Callback done) { keychain.readEntry(key, done); });
    }
    Keychain::Result remove(RawKeychain &keychain, const QString &key)
    {
        return run([&](Keychain::Callback done) { keychain.removeEntry(key, done); });
    }
    QString part(int generation, int index) const { return m_key + QStringLiteral("#%1.%2").arg(generation).arg(index); }
    // Present unless the keychain says "not found": a read that fails for another reason is not taken
    // as proof that an entry is gone.
    bool exists(const QString &key) { return read(m_raw, key).error != Keychain::Error::NotFound; }

    static QByteArray randomValue(qsizetype size)
    {
        QByteArray value(size, Qt::Uninitialized);
        for (char &c : value)
            c = char('a' + QRandomGenerator::global()->bounded(26));
        return value;
    }
    static QByteArray manifest(int generation, int count, const QByteArray &value)
    {
        return QByteArrayLiteral("signet-parts/1 ") + QByteArray::number(generation) + ' ' + QByteArray::number(count) + ' ' + QByteArray::number(value.size()) + ' '
            + QCryptographicHash::hash(value, QCryptographicHash::Sha256).toHex();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS"), "run under scripts/with-keyring.sh (scripts/test.sh does): a Secret Service is needed");
        m_parted.setMaxEntryBytes(PartBytes);
    }

    void init() { m_key = QStringLiteral("tst_keychain/") + QUuid::createUuid().toString(QUuid::WithoutBraces); }

    // A removal with a limit takes every part that could be there (both generations when there is no manifest).
    void cleanup() { remove(m_parted, m_key); }

    void smallValueIsOneEntry()
    {
        const QByteArray value = randomValue(PartBytes);
        QVERIFY(write(m_parted, m_key, value).ok());
        QCOMPARE(read(m_raw, m_key).data, value);
        QCOMPARE(read(m_parted, m_key).data, value);
        QVERIFY(!exists(part(0, 0)));
    }

    void largeValueInParts()
    {
        const QByteArray value = randomValue(10 * PartBytes + 1);
        QVERIFY(write(m_parted, m_key, value).ok());
        QCOMPARE(read(m_raw, m_key).data, manifest(0, 11, value));
        QCOMPARE(read(m_raw, part(0, 10)).data, value.right(1));
        QCOMPARE(read(m_parted, m_key).data, value);
    }

    // Each replacement leaves exactly the parts its manifest names.
    void replacingRemovesOldParts()
    {
        const QByteArray first = randomValue(5 * PartBytes);
        const QByteArray second = randomValue(3 * PartBytes);
        QVERIFY(write(m_parted, m_key, first).ok());
        QVERIFY(write(m_parted, m_key, second).ok());
        QCOMPARE(read(m_raw, m_key).data, manifest(1, 3, second));
        QCOMPARE(read(m_parted, m_key).data, second);
        QTRY_VERIFY(!exists(part(0, 0)) && !exists(part(0, 4)));

        const QByteArray third = randomValue(PartBytes / 2);
        QVERIFY(write(m_parted, m_key, third).ok());
        QCOMPARE(read(m_parted, m_key).data, third);
        QTRY_VERIFY(!exists(part(1, 0)) && !exists(part(1, 2)));
    }

    void removeTakesTheParts()
    {
        QVERIFY(write(m_parted, m_key, randomValue(4 * PartBytes)).ok());
        QVERIFY(remove(m_parted, m_key).ok());
        QCOMPARE(read(m_parted, m_key).error, Keychain::Error::NotFound);
        QTRY_VERIFY(!exists(part(0, 0)) && !exists(part(0, 3)));
    }

    void brokenPartsReadAsNotFound_data()
    {
        QTest::addColumn<bool>("removePart");
        QTest::newRow("a part is missing") << true;
        QTest::newRow("a part was altered") << false;
    }

    void brokenPartsReadAsNotFound()
    {
        QFETCH(bool, removePart);
        QVERIFY(write(m_parted, m_key, randomValue(4 * PartBytes)).ok());
        if (removePart)
            QVERIFY(remove(m_raw, part(0, 2)).ok());
        else
            QVERIFY(write(m_raw, part(0, 2), randomValue(PartBytes)).ok());
        const Keychain::Result result = read(m_parted, m_key);
        QCOMPARE(result.error, Keychain::Error::NotFound);
        QVERIFY(result.data.isEmpty());
    }

    // The two moments a kill can interrupt a replacement of a value in parts, set up by hand.
    void killedDuringAReplacement_data()
    {
        QTest::addColumn<bool>("manifestReplaced");
        QTest::newRow("new parts written, manifest not yet: the old value") << false;
        QTest::newRow("manifest replaced, old parts not yet removed: the new value") << true;
    }

    void killedDuringAReplacement()
    {
        QFETCH(bool, manifestReplaced);
        const QByteArray oldValue = randomValue(4 * PartBytes);
        const QByteArray newValue = randomValue(4 * PartBytes);
        QVERIFY(write(m_parted, m_key, oldValue).ok()); // generation 0
        for (int index = 0; index < 4; ++index)
            QVERIFY(write(m_raw, part(1, index), newValue.mid(index * PartBytes, PartBytes)).ok());
        if (manifestReplaced)
            QVERIFY(write(m_raw, m_key, manifest(1, 4, newValue)).ok());
        QCOMPARE(read(m_parted, m_key).data, manifestReplaced ? newValue : oldValue);
        // The next write starts from whatever was left and ends with one whole value.
        // and no part of the values before it stays in the keychain.
        const QByteArray next = randomValue(2 * PartBytes);
        QVERIFY(write(m_parted, m_key, next).ok());
        QCOMPARE(read(m_parted, m_key).data, next);
        const int current = manifestReplaced ? 0 : 1;
        QCOMPARE(read(m_raw, m_key).data, manifest(current, 2, next));
        QTRY_VERIFY(!exists(part(1 - current, 0)) && !exists(part(1 - current, 3)) && !exists(part(current, 2)) && !exists(part(current, 3)));
    }

    // Windows writes in parts; whatever reads or removes the entry without a limit still sees one whole value.
    void partsAreRecognisedWithoutALimit()
    {
        const QByteArray value = randomValue(3 * PartBytes + 7);
        QVERIFY(write(m_parted, m_key, value).ok());
        QCOMPARE(read(m_plain, m_key).data, value);
        QVERIFY(remove(m_plain, m_key).ok());
        QCOMPARE(read(m_parted, m_key).error, Keychain::Error::NotFound);
        QTRY_VERIFY(!exists(part(0, 0)) && !exists(part(0, 3)));
    }

    void manifestLookingValueIsRefused()
    {
        const Keychain::Result result = write(m_plain, m_key, manifest(0, 1, "x"));
        QCOMPARE(result.error, Keychain::Error::Failed);
        QCOMPARE(read(m_raw, m_key).error, Keychain::Error::NotFound);
    }

    void tooManyPartsIsRefused()
    {
        const Keychain::Result result = write(m_parted, m_key, randomValue((Keychain::MaxParts + 1) * PartBytes));
        QCOMPARE(result.error, Keychain::Error::Failed);
        QVERIFY2(result.message.contains(QLatin1String("too large for the keychain")), qPrintable(result.message));
        QCOMPARE(read(m_parted, m_key).error, Keychain::Error::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestKeychain)
#include "tst_keychain.moc"
