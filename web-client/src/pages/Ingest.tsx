// Ingest: upload files as one durable job (GraphQL multipart request) and watch it live
// through the `ingestJob` subscription; recent jobs below.
import { useState } from 'react';
import { useQuery, useSubscription } from 'urql';
import { graphql, getFragmentData, type FragmentType } from '../gql';
import { Empty, ErrorState, Loading } from '../components/States';
import { ForceSelect } from '../forces';
import { href } from '../router';
import { authHeaders, loadSession } from '../session';

export const JobFragment = graphql(`
  fragment JobView_job on IngestJob {
    id
    state
    kind
    createdAt
    force
    operation
    total
    waiting
    done
    pending
    failed
    files { name bytes status documentId reason }
    current { name done total unit }
  }
`);

export const JobSubscription = graphql(`
  subscription JobProgress($id: String!) {
    ingestJob(id: $id) { id ...JobView_job }
  }
`);

const JobsQuery = graphql(`
  query RecentJobs {
    ingestJobs(first: 10) { id ...JobView_job }
  }
`);

const UPLOAD = `mutation Upload($files: [Upload!]!, $force: String!, $operation: String, $language: String) {
  ingestFiles(files: $files, force: $force, operation: $operation, language: $language) { id state total }
}`;

export function IngestPage() {
  const [files, setFiles] = useState<File[]>([]);
  const [force, setForce] = useState('WYP');
  const [operation, setOperation] = useState('');
  const [language, setLanguage] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function upload(e: React.FormEvent) {
    e.preventDefault();
    const session = loadSession();
    if (!session || files.length === 0) return;
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.append(
      'operations',
      JSON.stringify({ query: UPLOAD, variables: { files: files.map(() => null), force, operation: operation || null, language: language || null } }),
    );
    form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.files.${i}`]]))));
    files.forEach((f, i) => form.append(String(i), f, f.name));
    try {
      const res = await fetch('/graphql', { method: 'POST', headers: authHeaders(session), body: form });
      const body = (await res.json().catch(() => null)) as { data?: { ingestFiles?: { id: string } }; errors?: { message: string; extensions?: { code?: string } }[] } | null;
      if (body?.errors?.length) setError(`${body.errors[0].extensions?.code ?? 'Error'}: ${body.errors[0].message}`);
      else if (!res.ok || !body?.data?.ingestFiles) setError(`The upload failed (HTTP ${res.status}).`);
      else {
        setJobId(body.data.ingestFiles.id);
        setFiles([]);
        const input = document.getElementById('ingest-files') as HTMLInputElement | null;
        if (input) input.value = '';
      }
    } catch (err) {
      setError(`Cannot reach toex: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="in-h">
      <h1 id="in-h">Ingest</h1>
      <form onSubmit={upload} className="ingest-form" aria-label="Upload files">
        <label>
          Files (text, chat exports, SRT/WebVTT/JSONL transcripts, recordings — a recording with the same name as its transcript is kept with it)
          <input id="ingest-files" type="file" multiple onChange={(e) => setFiles(Array.from(e.target.files ?? []))} name="files" />
        </label>
        <div className="controls">
          <ForceSelect value={force} onChange={setForce} />
          <label>
            Operation
            <input value={operation} onChange={(e) => setOperation(e.target.value)} name="operation" />
          </label>
          <label>
            Language (blank: detect)
            <input value={language} onChange={(e) => setLanguage(e.target.value)} name="language" size={4} placeholder="ar" />
          </label>
          <button type="submit" disabled={busy || files.length === 0}>
            {busy ? 'Uploading…' : `Upload ${files.length || ''} ${files.length === 1 ? 'file' : 'files'}`}
          </button>
        </div>
      </form>
      {error && (
        <p className="state error" role="alert">
          {error}
        </p>
      )}
      {jobId && <LiveJob id={jobId} />}
      <RecentJobs />
    </section>
  );
}

function LiveJob({ id }: { id: string }) {
  const [{ data, error }] = useSubscription({ query: JobSubscription, variables: { id } });
  return (
    <section aria-label="This upload" className="livejob">
      <h2>This upload</h2>
      {error && <ErrorState error={error} />}
      {!data && !error && <Loading what="progress" />}
      {data && <JobView job={data.ingestJob} />}
    </section>
  );
}

function RecentJobs() {
  const [{ data, error }, refetch] = useQuery({ query: JobsQuery, requestPolicy: 'network-only' });
  return (
    <section aria-label="Recent jobs">
      <h2>
        Recent jobs{' '}
        <button type="button" onClick={() => refetch({ requestPolicy: 'network-only' })}>
          Refresh
        </button>
      </h2>
      {error && <ErrorState error={error} />}
      {!data && !error && <Loading what="jobs" />}
      {data && data.ingestJobs.length === 0 && <Empty>No ingest jobs yet.</Empty>}
      {data?.ingestJobs.map((j) => (
        <details key={j.id}>
          <summary>
            <JobSummary job={j} />
          </summary>
          <JobView job={j} />
        </details>
      ))}
    </section>
  );
}

function JobSummary(props: { job: FragmentType<typeof JobFragment> }) {
  const j = getFragmentData(JobFragment, props.job);
  return (
    <>
      {j.id} · {j.kind === 'TRANSLATE' ? 'translation' : 'ingest'} · {j.force}
      {j.operation && <> · {j.operation}</>} · {j.state} · {j.done}/{j.total} done
    </>
  );
}

export function JobView(props: { job: FragmentType<typeof JobFragment> }) {
  const j = getFragmentData(JobFragment, props.job);
  const pct = j.total ? Math.round((100 * (j.done + j.pending + j.failed)) / j.total) : 0;
  return (
    <div className="job" data-state={j.state}>
      <p role="status">
        <strong>{j.state}</strong> · {j.done} done, {j.pending} pending, {j.failed} failed, {j.waiting} waiting of {j.total}
      </p>
      <progress max={100} value={pct} aria-label="Job progress">
        {pct}%
      </progress>
      {j.current && (
        <p className="current" aria-live="polite">
          {j.kind === 'TRANSLATE' ? 'Translating' : 'Transcribing'} {j.current.name}: {j.current.done} of {j.current.total} {j.current.unit}
        </p>
      )}
      <table>
        <thead>
          <tr>
            <th scope="col">{j.kind === 'TRANSLATE' ? 'Document' : 'File'}</th>
            <th scope="col">Bytes</th>
            <th scope="col">Status</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {j.files.map((f, i) => (
            <tr key={`${f.name}-${i}`} data-status={f.status}>
              <td>{f.documentId ? <a href={href('/doc', { id: f.documentId })}>{f.name}</a> : f.name}</td>
              <td className="num">{f.bytes}</td>
              <td>{f.status}</td>
              <td>{f.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
