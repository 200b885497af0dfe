pragma ComponentBehavior: Bound

import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// Who is signed in: picture (or initials), name, e-mail, provider, roles, time left and whether
// the session renews by itself.
Frame {
    id: card

    required property SessionController controller
    required property Theme theme
    readonly property var identity: controller.identity

    // "1 h 5 min", "12 min", "less than a minute"; empty when unknown.
    function timeLeft(seconds) {
        if (seconds < 0)
            return "";
        if (seconds === 0)
            return qsTr("The session has expired.");
        if (seconds < 60)
            return qsTr("Session ends in less than a minute.");
        const hours = Math.floor(seconds / 3600);
        const minutes = Math.floor((seconds % 3600) / 60);
        if (hours === 0)
            return qsTr("Session ends in %1 min.").arg(minutes);
        return qsTr("Session ends in %1 h %2 min.").arg(hours).arg(minutes);
    }

    function initials(name) {
        const words = (name || "").trim().split(/\s+/).filter(word => word.length > 0);
        if (words.length === 0)
            return "?";
        const first = words[0].charAt(0);
        return (words.length > 1 ? first + words[words.length - 1].charAt(0) : first).toUpperCase();
    }

    padding: 16
    background: Rectangle {
        radius: 8
        color: card.theme.card
        border.color: card.theme.cardBorder
    }
    Accessible.role: Accessible.Grouping
    Accessible.name: qsTr("Signed-in identity")

    ColumnLayout {
        anchors.fill: parent
        spacing: 6

        RowLayout {
            spacing: 14
            Layout.fillWidth: true

            Rectangle {
                id: avatar
                objectName: "avatar"
                Layout.preferredWidth: 56
                Layout.preferredHeight: 56
                Layout.alignment: Qt.AlignTop
                radius: width / 2
                color: card.theme.avatar
                clip: true
                Accessible.role: Accessible.Graphic
                Accessible.name: picture.status === Image.Ready ? qsTr("Picture of %1").arg(name.text) : qsTr("Initials of %1").arg(name.text)

                Label {
                    objectName: "initials"
                    anchors.centerIn: parent
                    visible: picture.status !== Image.Ready
                    text: card.initials(card.identity.name || card.identity.email)
                    color: "#ffffff"
                    font.pixelSize: 22
                    font.bold: true
                    Accessible.ignored: true
                }
                Image {
                    id: picture
                    objectName: "picture"
                    anchors.fill: parent
                    source: card.controller.avatarUrl
                    fillMode: Image.PreserveAspectCrop
                    sourceSize.width: 112
                    sourceSize.height: 112
                    visible: status === Image.Ready
                    Accessible.ignored: true
                }
            }
            ColumnLayout {
                Layout.fillWidth: true
                spacing: 2

                Label {
                    id: name
                    objectName: "name"
                    Layout.fillWidth: true
                    text: card.identity.name || card.identity.email || card.identity.subject || ""
                    font.pixelSize: 18
                    font.bold: true
                    wrapMode: Text.Wrap
                    Accessible.name: qsTr("Name: %1").arg(text)
                }
                Label {
                    objectName: "email"
                    Layout.fillWidth: true
                    visible: !!card.identity.email
                    text: card.identity.emailVerified ? card.identity.email : qsTr("%1 (not verified)").arg(card.identity.email)
                    wrapMode: Text.WrapAnywhere
                    Accessible.name: qsTr("E-mail: %1").arg(text)
                }
                Label {
                    objectName: "provider"
                    Layout.fillWidth: true
                    text: qsTr("Signed in with %1").arg(card.identity.providerName || "")
                    color: card.theme.secondaryText
                    wrapMode: Text.Wrap
                    Accessible.name: text
                }
            }
        }
        Flow {
            objectName: "roles"
            Layout.fillWidth: true
            Layout.topMargin: 4
            spacing: 6
            visible: roleRepeater.count > 0

            Repeater {
                id: roleRepeater
                model: card.identity.roles || []
                delegate: RoleChip {
                    required property string modelData
                    objectName: "role-" + modelData
                    theme: card.theme
                    text: modelData
                }
            }
        }
        Label {
            objectName: "rolesIncomplete"
            Layout.fillWidth: true
            visible: card.identity.rolesComplete === false
            text: qsTr("Some roles could not be determined; apps may offer you less than usual.")
            wrapMode: Text.Wrap
            font.pixelSize: 12
            color: card.theme.secondaryText
            Accessible.name: text
        }
        Label {
            objectName: "timeLeft"
            Layout.fillWidth: true
            Layout.topMargin: 4
            text: card.timeLeft(card.controller.secondsLeft)
            visible: text.length > 0
            wrapMode: Text.Wrap
            Accessible.name: text
        }
        Label {
            objectName: "renewal"
            Layout.fillWidth: true
            text: {
                if (card.controller.attention.length > 0)
                    return qsTr("Renewal failed.");
                if (card.controller.expiring)
                    return qsTr("It cannot be renewed without you: sign in again before it ends.");
                return qsTr("Renews automatically while you work.");
            }
            wrapMode: Text.Wrap
            color: card.theme.secondaryText
            Accessible.name: text
        }
    }
}
