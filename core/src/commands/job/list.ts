import { BaseCommand } from '../../cli/BaseCommand.js';
import { table } from '../../cli/format.js';

export default class JobList extends BaseCommand<typeof JobList> {
  static override summary = 'List the jobs of the configuration.';

  async run() {
    const env = await this.environment(true);
    const jobs = Object.entries(env.config.jobs).map(([name, job]) => ({
      name,
      level: job.level,
      sources: job.sources.map((s) => s.kind),
      destination: typeof job.destination === 'string' ? job.destination : job.destination.kind,
      transforms: job.transforms.map((t) => t.kind),
    }));
    this.log(
      table([
        ['JOB', 'LEVEL', 'SOURCES', 'DESTINATION', 'TRANSFORMS'],
        ...jobs.map((j) => [j.name, j.level, j.sources.join(','), j.destination, j.transforms.join(',')]),
      ]),
    );
    return { jobs };
  }
}
