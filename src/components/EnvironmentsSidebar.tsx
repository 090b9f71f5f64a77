import {
  ITranslator,
  nullTranslator,
  TranslationBundle
} from '@jupyterlab/translation';
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';
import { environmentsIcon } from '../icons';
import type { EnvironmentsModel } from '../model';
import { EnvironmentsPanel, IPanelActions } from './EnvironmentsPanel';

/** The left sidebar widget hosting the Environments panel. */
export class EnvironmentsSidebar extends ReactWidget {
  constructor(options: EnvironmentsSidebar.IOptions) {
    super();
    this._model = options.model;
    this._actions = options.actions;
    this._trans = (options.translator ?? nullTranslator).load(
      'jupyterlab_repo2docker'
    );
    this.id = EnvironmentsSidebar.ID;
    this.addClass('jp-Repo2Docker-sidebar');
    this.title.icon = environmentsIcon;
    this.title.caption = this._trans.__(
      'Environments: build images with repo2docker'
    );
  }

  get model(): EnvironmentsModel {
    return this._model;
  }

  protected render(): JSX.Element {
    return (
      <EnvironmentsPanel
        model={this._model}
        trans={this._trans}
        actions={this._actions}
      />
    );
  }

  private _model: EnvironmentsModel;
  private _actions: IPanelActions;
  private _trans: TranslationBundle;
}

export namespace EnvironmentsSidebar {
  /** The widget's DOM id (also its layout restorer name). */
  export const ID = 'jp-repo2docker-environments';

  export interface IOptions {
    model: EnvironmentsModel;
    actions: IPanelActions;
    translator?: ITranslator;
  }
}
