pragma ComponentBehavior: Bound

import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// The companion apps that may use the identity (the agent's `apps`), each with a way to withdraw
// the access the person gave. Grants from IT's policy are listed but cannot be withdrawn here.
ColumnLayout {
    id: list

    required property SessionController controller
    required property Theme theme

    spacing: 6

    Label {
        text: qsTr("Apps with access")
        font.bold: true
        font.pixelSize: 15
        Layout.fillWidth: true
        wrapMode: Text.Wrap
        Accessible.role: Accessible.Heading
        Accessible.name: text
    }
    Label {
        objectName: "noApps"
        visible: appRepeater.count === 0
        Layout.fillWidth: true
        wrapMode: Text.Wrap
        color: list.theme.secondaryText
        text: list.controller.unknownApps === "deny"
              ? qsTr("No app has access. Your organisation does not let other apps ask.")
              : qsTr("No app has access yet. When one asks, you decide here.")
        Accessible.name: text
    }
    Repeater {
        id: appRepeater
        model: list.controller.apps

        delegate: Frame {
            id: row

            required property var modelData

            objectName: "app-" + modelData.id
            Layout.fillWidth: true
            padding: 10
            background: Rectangle {
                radius: 6
                color: list.theme.card
                border.color: list.theme.cardBorder
            }
            Accessible.role: Accessible.ListItem
            Accessible.name: appName.text

            RowLayout {
                anchors.fill: parent
                spacing: 10

                ColumnLayout {
                    Layout.fillWidth: true
                    spacing: 2

                    Label {
                        id: appName
                        Layout.fillWidth: true
                        text: row.modelData.name
                        font.bold: true
                        wrapMode: Text.Wrap
                        Accessible.name: text
                    }
                    Label {
                        objectName: "appDetails"
                        Layout.fillWidth: true
                        wrapMode: Text.WrapAnywhere
                        font.pixelSize: 12
                        color: list.theme.secondaryText
                        text: {
                            const access = row.modelData.access === "deny" ? qsTr("refused") : (row.modelData.scopes || []).indexOf("*") >= 0
                                                                                              ? qsTr("all scopes") : (row.modelData.scopes || []).join(" ");
                            const source = row.modelData.source === "policy" ? qsTr("set by your organisation") : qsTr("allowed by you");
                            return qsTr("%1 · %2 · %3").arg(row.modelData.exe).arg(access).arg(source);
                        }
                        Accessible.name: text
                    }
                }
                Button {
                    objectName: "revoke-" + row.modelData.id
                    visible: row.modelData.revocable === true
                    text: row.modelData.access === "deny" ? qsTr("Forget") : qsTr("Revoke")
                    onClicked: list.controller.revokeApp(row.modelData.id)
                    Accessible.name: row.modelData.access === "deny" ? qsTr("Forget the refusal for %1").arg(row.modelData.name)
                                                                     : qsTr("Revoke access for %1").arg(row.modelData.name)
                }
            }
        }
    }
}
