import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// Who is signed in, with which provider, for how long.
ColumnLayout {
    id: page

    required property SessionController controller
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

    spacing: 8
    onVisibleChanged: if (visible) signOutButton.forceActiveFocus()

    Heading {
        text: qsTr("Signed in")
    }
    Label {
        objectName: "name"
        Layout.fillWidth: true
        text: page.identity.name || page.identity.email || page.identity.subject || ""
        font.pixelSize: 16
        elide: Text.ElideRight
        Accessible.name: qsTr("Name: %1").arg(text)
    }
    Label {
        objectName: "email"
        Layout.fillWidth: true
        visible: !!page.identity.email
        text: page.identity.emailVerified ? page.identity.email : qsTr("%1 (not verified)").arg(page.identity.email)
        elide: Text.ElideRight
        Accessible.name: qsTr("E-mail: %1").arg(text)
    }
    Label {
        objectName: "provider"
        Layout.fillWidth: true
        text: qsTr("Signed in with %1").arg(page.identity.providerName || "")
        elide: Text.ElideRight
        Accessible.name: text
    }
    Label {
        objectName: "timeLeft"
        Layout.fillWidth: true
        text: page.timeLeft(page.controller.secondsLeft)
        visible: text.length > 0
        opacity: 0.7
        Accessible.name: text
    }
    Item {
        Layout.preferredHeight: 8
    }
    Button {
        id: signOutButton
        objectName: "signOutButton"
        text: qsTr("Sign out")
        onClicked: page.controller.signOut()
        Accessible.name: qsTr("Sign out")
    }
    Item {
        Layout.fillHeight: true
    }
}
