/**
 * Light stand-ins for `@jupyterlab/ui-components` and `@jupyterlab/apputils` in the panel's
 * tests: the panel only uses their icons, dialogs, clipboard and notifications, and the real
 * modules pull in ES-module-only web components that this jest configuration does not
 * transform. Use with:
 *
 *   jest.mock('@jupyterlab/ui-components', () => jest.requireActual('./uiMocks').uiComponents);
 *   jest.mock('@jupyterlab/apputils', () => jest.requireActual('./uiMocks').apputils);
 */

import * as React from 'react';

function icon(name: string) {
  return {
    name,
    react: (props: { className?: string }) =>
      React.createElement('span', {
        className: props.className,
        'data-icon': name
      })
  };
}

export const uiComponents = {
  caretDownIcon: icon('caret-down'),
  caretRightIcon: icon('caret-right'),
  copyIcon: icon('copy'),
  deleteIcon: icon('delete'),
  launchIcon: icon('launch'),
  linkIcon: icon('link'),
  listIcon: icon('list'),
  refreshIcon: icon('refresh'),
  runIcon: icon('run'),
  shareIcon: icon('share'),
  stopIcon: icon('stop'),
  LabIcon: class {
    constructor(readonly options: { name: string; svgstr: string }) {}
  },
  ReactWidget: class {}
};

export const apputils = {
  Clipboard: { copyToSystem: jest.fn() },
  Dialog: {
    cancelButton: jest.fn((options: object = {}) => ({
      ...options,
      accept: false
    })),
    okButton: jest.fn((options: object = {}) => ({
      ...options,
      accept: true
    })),
    warnButton: jest.fn((options: object = {}) => ({
      ...options,
      accept: true
    }))
  },
  Notification: {
    error: jest.fn(),
    info: jest.fn(),
    success: jest.fn(),
    warning: jest.fn()
  },
  showDialog: jest.fn(async () => ({ button: { accept: true }, value: null }))
};
