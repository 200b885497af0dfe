pragma ComponentBehavior: Bound

import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Signet.App

// Nobody is signed in: one button per provider, in the agent's order.
ColumnLayout {
    id: page

    required property SessionController controller

    spacing: 12
    onVisibleChanged: if (visible) page.focusFirstProvider()

    function focusFirstProvider() {
        for (let i = 0; i < providerButtons.count; ++i) {
            const entry = providerButtons.itemAt(i);
            if (entry && entry.signInButton.enabled) {
                entry.signInButton.forceActiveFocus();
                return;
            }
        }
    }

    Heading {
        text: qsTr("Sign in")
    }
    BodyText {
        objectName: "notice"
        text: page.controller.notice
        visible: text.length > 0
    }
    BodyText {
        text: page.controller.providers.length > 0
              ? qsTr("Choose your organisation's sign-in:")
              : qsTr("No identity provider is configured. Add one to ~/.config/signet/signet.conf (or ask your administrator) and restart signet-agent.")
    }
    Repeater {
        id: providerButtons
        model: page.controller.providers

        delegate: ColumnLayout {
            id: entry

            required property var modelData
            property alias signInButton: button

            Layout.fillWidth: true
            spacing: 2

            Button {
                id: button
                objectName: "provider-" + entry.modelData.id
                Layout.fillWidth: true
                enabled: entry.modelData.available
                text: qsTr("Sign in with %1").arg(entry.modelData.displayName)
                onClicked: page.controller.signIn(entry.modelData.id)
                ToolTip.visible: hovered && entry.modelData.problem.length > 0
                ToolTip.text: entry.modelData.problem
                Accessible.name: text
                Accessible.description: entry.modelData.problem
            }
            // Only where IT allows it for this provider (allow_device_flow).
            Button {
                objectName: "device-" + entry.modelData.id
                Layout.fillWidth: true
                flat: true
                visible: entry.modelData.available && entry.modelData.deviceFlow === true
                text: qsTr("Use a code on another device")
                onClicked: page.controller.signInWithDevice(entry.modelData.id)
                Accessible.name: qsTr("Sign in with %1 using a code on another device").arg(entry.modelData.displayName)
            }
            BodyText {
                visible: !entry.modelData.available && text.length > 0
                text: qsTr("Unavailable: %1").arg(entry.modelData.problem)
                font.pixelSize: 12
            }
        }
    }
    Item {
        Layout.fillHeight: true
    }
}
