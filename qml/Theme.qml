import QtQuick

// Colours that follow the desktop: Qt 6.4 has no colour-scheme API, so dark mode is read from the
// palette the platform hands the window (dark when its window colour is dark).
QtObject {
    id: theme

    // The palette of the item this theme serves (set by the user: `Theme { palette: page.palette }`).
    required property var palette

    readonly property bool dark: palette.window.hslLightness < 0.5
    readonly property color chip: dark ? "#2c3e57" : "#e3ecfa"
    readonly property color chipText: dark ? "#dce8ff" : "#173a6b"
    readonly property color warning: dark ? "#4a3a12" : "#fff4d6"
    readonly property color warningText: dark ? "#ffe4a3" : "#5c4200"
    readonly property color warningBorder: dark ? "#8a6d1f" : "#e0b545"
    readonly property color card: dark ? Qt.lighter(palette.window, 1.25) : Qt.darker(palette.window, 1.04)
    readonly property color cardBorder: dark ? Qt.lighter(palette.window, 1.6) : Qt.darker(palette.window, 1.18)
    readonly property color avatar: dark ? "#3b5bdb" : "#3b5bdb"
    readonly property color secondaryText: Qt.rgba(palette.windowText.r, palette.windowText.g, palette.windowText.b, 0.72)
}
