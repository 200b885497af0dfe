import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// Renewal failed, or the session ends soon and cannot be renewed: say so, offer to sign in again.
Frame {
    id: banner

    required property SessionController controller
    required property Theme theme
    readonly property var identity: controller.identity

    objectName: "attentionBanner"
    visible: controller.attention.length > 0 || controller.expiring
    padding: 12
    background: Rectangle {
        radius: 8
        color: banner.theme.warning
        border.color: banner.theme.warningBorder
    }
    Accessible.role: Accessible.AlertMessage
    Accessible.name: message.text

    ColumnLayout {
        anchors.fill: parent
        spacing: 8

        Label {
            id: message
            objectName: "attentionMessage"
            Layout.fillWidth: true
            wrapMode: Text.Wrap
            color: banner.theme.warningText
            text: banner.controller.attention.length > 0
                  ? qsTr("Attention needed: %1").arg(banner.controller.attention)
                  : qsTr("Your session ends soon and cannot be renewed automatically. Sign in again to keep working.")
            Accessible.name: text
        }
        Button {
            objectName: "signInAgainButton"
            text: qsTr("Sign in again")
            onClicked: banner.controller.signIn(banner.identity.provider)
            Accessible.name: qsTr("Sign in again with %1").arg(banner.identity.providerName || "")
        }
    }
}
