// The fast reader for common requests (RequestLine): whatever it accepts, it must read exactly as
// QJsonDocument does, and it must accept the shapes clients send on the hot path. Everything else
// it leaves to the full reader. The IPC fuzzer checks the same on generated input.

#include "ipc/requestline.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace Signet;

class TestRequestLine : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void agreesWithTheFullReader_data()
    {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<bool>("fast"); // whether the fast reader takes it

        QTest::newRow("token") << QByteArray("{\"id\":1,\"method\":\"token\"}") << true;
        QTest::newRow("whoami, string id") << QByteArray("{\"id\":\"a-1\",\"method\":\"whoami\"}") << true;
        QTest::newRow("empty params") << QByteArray("{\"id\":2,\"method\":\"status\",\"params\":{}}") << true;
        QTest::newRow("null params") << QByteArray("{\"id\":3,\"method\":\"status\",\"params\":null}") << true;
        QTest::newRow("keys in any order") << QByteArray("{\"method\":\"token\",\"params\":{},\"id\":4}") << true;
        QTest::newRow("whitespace") << QByteArray(" {\t\"id\" : 5 ,\r\n\"method\" :\"token\" } ") << true;
        QTest::newRow("id 0") << QByteArray("{\"id\":0,\"method\":\"token\"}") << true;
        QTest::newRow("15 digits") << QByteArray("{\"id\":999999999999999,\"method\":\"token\"}") << true;
        QTest::newRow("empty method") << QByteArray("{\"id\":6,\"method\":\"\"}") << true;

        // Valid JSON the fast reader leaves to the full one.
        QTest::newRow("params with scopes") << QByteArray("{\"id\":7,\"method\":\"token\",\"params\":{\"scopes\":[\"a\"]}}") << false;
        QTest::newRow("unknown field") << QByteArray("{\"id\":8,\"method\":\"token\",\"client\":\"x\"}") << false;
        QTest::newRow("negative id") << QByteArray("{\"id\":-9,\"method\":\"token\"}") << false;
        QTest::newRow("fraction") << QByteArray("{\"id\":1.5,\"method\":\"token\"}") << false;
        QTest::newRow("exponent") << QByteArray("{\"id\":1e3,\"method\":\"token\"}") << false;
        QTest::newRow("19 digits") << QByteArray("{\"id\":1234567834567890123,\"method\":\"token\"}") << false;
        QTest::newRow("30 digits") << QByteArray("{\"id\":123456789012345678901234567890,\"method\":\"token\"}") << false;
        QTest::newRow("16 digits") << QByteArray("{\"id\":1234567890123456,\"method\":\"token\"}") << false;
        QTest::newRow("escaped method") << QByteArray("{\"id\":10,\"method\":\"tok\\u0065n\"}") << false;
        QTest::newRow("escaped id") << QByteArray("{\"id\":\"a\\\"b\",\"method\":\"token\"}") << false;
        QTest::newRow("non-ASCII id") << QByteArray("{\"id\":\"\xc3\xa9\",\"method\":\"token\"}") << false;
        QTest::newRow("duplicate id") << QByteArray("{\"id\":1,\"id\":2,\"method\":\"token\"}") << false;
        QTest::newRow("duplicate method") << QByteArray("{\"id\":1,\"method\":\"a\",\"method\":\"token\"}") << false;
        QTest::newRow("id null") << QByteArray("{\"id\":null,\"method\":\"token\"}") << false;

        // Not valid requests at all: never fast.
        QTest::newRow("leading zero") << QByteArray("{\"id\":007,\"method\":\"token\"}") << false;
        QTest::newRow("trailing comma") << QByteArray("{\"id\":1,\"method\":\"token\",}") << false;
        QTest::newRow("trailing text") << QByteArray("{\"id\":1,\"method\":\"token\"} x") << false;
        QTest::newRow("no method") << QByteArray("{\"id\":1}") << false;
        QTest::newRow("no id") << QByteArray("{\"method\":\"token\"}") << false;
        QTest::newRow("unterminated") << QByteArray("{\"id\":1,\"method\":\"token") << false;
        QTest::newRow("array") << QByteArray("[1,\"token\"]") << false;
        QTest::newRow("control character") << QByteArray("{\"id\":1,\"method\":\"to\x01ken\"}") << false;
        QTest::newRow("params array") << QByteArray("{\"id\":1,\"method\":\"token\",\"params\":[]}") << false;
        QTest::newRow("empty") << QByteArray() << false;
    }

    void agreesWithTheFullReader()
    {
        QFETCH(QByteArray, line);
        QFETCH(bool, fast);
        QJsonValue id;
        QString method;
        QCOMPARE(RequestLine::readSimple(line, &id, &method), fast);
        if (!fast)
            return;
        const QJsonObject full = QJsonDocument::fromJson(line).object();
        QCOMPARE(id, full.value(QLatin1String("id")));
        QCOMPARE(id.isString(), full.value(QLatin1String("id")).isString());
        QCOMPARE(method, full.value(QLatin1String("method")).toString());
    }

    void idsAreWrittenAsJson_data()
    {
        QTest::addColumn<QJsonValue>("id");
        QTest::newRow("integer") << QJsonValue(42);
        QTest::newRow("2^53") << QJsonValue(qint64(9007199254740992));
        QTest::newRow("negative") << QJsonValue(-7);
        QTest::newRow("plain string") << QJsonValue(QStringLiteral("req-1"));
        QTest::newRow("quotes and backslash") << QJsonValue(QStringLiteral("a\"b\\c"));
        QTest::newRow("control characters") << QJsonValue(QStringLiteral("x\ny\tz") + QChar(0x01));
        QTest::newRow("non-ASCII") << QJsonValue(QStringLiteral("café ✓"));
    }

    void idsAreWrittenAsJson()
    {
        QFETCH(QJsonValue, id);
        QByteArray json = "[";
        RequestLine::appendId(json, id);
        json += ']';
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(json, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(document.array().at(0), id);
    }
};

QTEST_GUILESS_MAIN(TestRequestLine)
#include "tst_requestline.moc"
