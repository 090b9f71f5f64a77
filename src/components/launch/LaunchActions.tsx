import type { Build, Image } from '@jupyterlab-repo2docker/service/contract';
import type { TranslationBundle } from '@jupyterlab/translation';
import { linkIcon, runIcon } from '@jupyterlab/ui-components';
import * as React from 'react';
import {
  buildLabelOf,
  imageLabel,
  type ServerLauncher
} from '../../hub/launcher';
import { ActionButton } from '../ActionButton';
import { showDockerRunDialog } from './DockerRunDialog';

export interface ILaunchActionsContext {
  launcher: ServerLauncher;
  trans: TranslationBundle;
  copy: (text: string) => void;
  reportError: (error: unknown) => void;
}

/**
 * Start a server in an image: under a hub a new named server (progress in the panel, then a
 * tab); on a laptop the `docker run` command to copy.
 */
export function startImage(
  image: { name: string; label: string },
  context: ILaunchActionsContext
): void {
  const { launcher, trans } = context;
  if (launcher.mode === 'laptop') {
    showDockerRunDialog({
      image: image.name,
      label: image.label,
      trans,
      copy: context.copy
    }).catch(context.reportError);
    return;
  }
  launcher.startServer(image.name, image.label).catch(context.reportError);
}

/**
 * "Build and start" after the form started a build (or learnt it was built already): follow the
 * build to its end, then start as `startImage` does (on a laptop: the command to copy).
 */
export function startAfterBuild(
  build: Build,
  context: ILaunchActionsContext
): void {
  const { launcher } = context;
  if (launcher.mode === 'hub') {
    launcher.startAfterBuild(build).catch(context.reportError);
    return;
  }
  launcher
    .whenBuilt(build)
    .then(built => {
      if (built) {
        startImage({ name: built.image, label: built.label }, context);
      }
    })
    .catch(context.reportError);
}

/** The copy-launch-link button of a build or an image (under a hub, with a repository only). */
function CopyLaunchLink(props: {
  source: { repo: string; ref?: string | null; subdir?: string | null };
  label: string;
  context: ILaunchActionsContext;
}): JSX.Element | null {
  const { context } = props;
  const { trans } = context;
  const link = context.launcher.launchLink(props.source);
  if (!link) {
    return null;
  }
  return (
    <ActionButton
      icon={linkIcon}
      text={trans.__('Launch link')}
      title={trans.__(
        'Copy a link that builds this repository if needed and starts a server in it, for anyone on this hub'
      )}
      label={trans.__('Copy launch link for %1', props.label)}
      onClick={() => context.copy(link)}
    />
  );
}

/** An image's launch buttons: Start server, Copy launch link. */
export function ImageLaunchActions(
  props: { image: Image } & ILaunchActionsContext
): JSX.Element {
  const { image, trans } = props;
  const label = imageLabel(image);
  return (
    <>
      <ActionButton
        icon={runIcon}
        text={trans.__('Start server')}
        title={
          props.launcher.mode === 'laptop'
            ? trans.__(
                'Show the docker run command that starts JupyterLab in this image'
              )
            : trans.__(
                'Start a server of yours in this image and open it in a new tab'
              )
        }
        label={trans.__('Start server in %1', label)}
        onClick={() => startImage({ name: image.name, label }, props)}
      />
      <CopyLaunchLink source={image} label={label} context={props} />
    </>
  );
}

/** A build's launch button: Copy launch link. */
export function BuildLaunchActions(
  props: { build: Build } & ILaunchActionsContext
): JSX.Element {
  return (
    <CopyLaunchLink
      source={props.build}
      label={buildLabelOf(props.build)}
      context={props}
    />
  );
}
