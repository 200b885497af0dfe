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
    // IT's message (policy), e.g. which account to use or whom to call.
    Frame {
        objectName: "itMessage"
        Layout.fillWidth: true
        visible: page.controller.itMessage.length > 0
        Accessible.role: Accessible.StaticText
        Accessible.name: qsTr("Message from your IT department: %1").arg(itMessageText.text)

        BodyText {
            id: itMessageText
            width: parent.width
            text: page.controller.itMessage
        }
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

            ProviderButton {
                id: button
                Layout.fillWidth: true
                provider: entry.modelData
                // Disabled while a sign-in runs (this page is then hidden, but a sign-in started
                // elsewhere must not race a click).
                enabled: entry.modelData.available && page.controller.state !== SessionController.SigningIn
                onClicked: page.controller.signIn(entry.modelData.id)
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
