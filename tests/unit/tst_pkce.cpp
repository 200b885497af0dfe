// PKCE verifier, challenge, state and nonce generation (RFC 7636 §4.1-4.2, RFC 6749 §10.10).

#include "auth/pkce.h"

#include <QRegularExpression>
#include <QSet>
#include <QTest>

using namespace Signet;

class TestPkce : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void verifierShape()
    {
        // 43-128 characters from the unreserved set (RFC 7636 §4.1).
        static const QRegularExpression unreserved(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
        for (int i = 0; i < 100; ++i) {
            const QByteArray verifier = Pkce::newVerifier();
            QVERIFY2(unreserved.match(QString::fromLatin1(verifier)).hasMatch(), verifier.constData());
        }
    }

    void tokenLength_data()
    {
        QTest::addColumn<int>("bytes");
        QTest::addColumn<int>("characters");
        QTest::newRow("16 bytes (128 bits, the minimum for state)") << 16 << 22;
        QTest::newRow("32 bytes") << 32 << 43;
        QTest::newRow("33 bytes") << 33 << 44;
        QTest::newRow("96 bytes (128 characters, the maximum verifier)") << 96 << 128;
    }

    void tokenLength()
    {
        QFETCH(int, bytes);
        QFETCH(int, characters);
        const QByteArray token = Pkce::randomToken(bytes);
        QCOMPARE(token.size(), characters);
        QVERIFY(!token.contains('='));
        QVERIFY(!token.contains('+'));
        QVERIFY(!token.contains('/'));
        QCOMPARE(QByteArray::fromBase64(token, QByteArray::Base64UrlEncoding).size(), bytes);
    }

    void unique()
    {
        QSet<QByteArray> seen;
        for (int i = 0; i < 10000; ++i)
            seen.insert(Pkce::randomToken(16));
        QCOMPARE(seen.size(), 10000);
    }

    void bitsAreSpread()
    {
        // A crude guard against a broken generator (all zeros, a stuck byte): over 2000 tokens
        // every bit position of 16 bytes is set roughly half of the time.
        QList<int> ones(128, 0);
        const int samples = 2000;
        for (int i = 0; i < samples; ++i) {
            const QByteArray raw = QByteArray::fromBase64(Pkce::randomToken(16), QByteArray::Base64UrlEncoding);
            for (int bit = 0; bit < 128; ++bit)
                ones[bit] += (raw.at(bit / 8) >> (bit % 8)) & 1;
        }
        for (int bit = 0; bit < 128; ++bit)
            QVERIFY2(ones.at(bit) > samples * 0.4 && ones.at(bit) < samples * 0.6, qPrintable(QString::number(bit)));
    }

    void challengeMatchesRfcExample()
    {
        // RFC 7636 Appendix B.
        QCOMPARE(Pkce::challengeFor("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
                 QByteArray("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
    }
};

QTEST_GUILESS_MAIN(TestPkce)
#include "tst_pkce.moc"
