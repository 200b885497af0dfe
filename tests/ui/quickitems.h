#pragma once

#include <QQmlContext>
#include <QQmlEngine>
#include <QQmlExpression>
#include <QQuickItem>

// Every item under `root` (not `root` itself). Items a Repeater creates are not QObject children of
// the page: this walks the visual tree instead.
inline QList<QQuickItem *> allItems(QQuickItem *root)
{
    QList<QQuickItem *> items;
    for (QQuickItem *child : root->childItems()) {
        items.append(child);
        items += allItems(child);
    }
    return items;
}

// The Accessible.name a screen reader hears for `item`, as QML evaluates it in the item's own context.
inline QString accessibleName(QQuickItem *item)
{
    QQmlContext *context = qmlContext(item);
    if (!context)
        return {};
    QQmlExpression name(context, item, QStringLiteral("Accessible.name"));
    return name.evaluate().toString();
}
