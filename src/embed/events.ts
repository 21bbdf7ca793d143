/** Document events between the loader and the widget (names only, so the loader stays small). */
export const CHANGE_EVENT = 'localrec:change';
export const LOADED_EVENT = 'localrec:loaded';
