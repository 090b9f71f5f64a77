import { LabIcon } from '@jupyterlab/ui-components';
import environmentsSvg from '../style/icons/environments.svg';

/** The Environments sidebar's icon: a container image. */
export const environmentsIcon = new LabIcon({
  name: 'jupyterlab-repo2docker:environments',
  svgstr: environmentsSvg
});
