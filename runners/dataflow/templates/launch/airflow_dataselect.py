"""Airflow DAG: runs the main job from its Flex Template on Dataflow GPU workers, once a week.

Drop this file into the DAGs folder (Cloud Composer: the environment's dags/ bucket folder) and
set the Airflow variables below, for example from `terraform output` (terraform/outputs.tf):
  dataselect_project, dataselect_region, dataselect_template (gs://.../templates/dataselect.json),
  dataselect_image, dataselect_service_account, dataselect_staging_bucket,
  dataselect_input (gs://... corpus glob), dataselect_output_bucket.
The Airflow connection (google_cloud_default) needs roles/dataflow.developer on the project and
roles/iam.serviceAccountUser on the worker service account.
"""

import pendulum
from airflow import DAG
from airflow.models import Variable
from airflow.providers.google.cloud.operators.dataflow import DataflowStartFlexTemplateOperator

PROJECT = Variable.get("dataselect_project")
REGION = Variable.get("dataselect_region", default_var="us-central1")
STAGING = Variable.get("dataselect_staging_bucket")

with DAG(
    dag_id="dataselect_weekly",
    schedule="@weekly",
    start_date=pendulum.datetime(2026, 1, 5, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["dataselect", "dataflow", "gpu"],
) as dag:
    select = DataflowStartFlexTemplateOperator(
        task_id="select",
        project_id=PROJECT,
        location=REGION,
        body={
            "launchParameter": {
                "jobName": "dataselect-{{ ds_nodash }}",
                "containerSpecGcsPath": Variable.get("dataselect_template"),
                # The template's parameters (runners/dataflow/templates/dataselect-metadata.json).
                "parameters": {
                    "input": Variable.get("dataselect_input"),
                    "output": "gs://" + Variable.get("dataselect_output_bucket") + "/dataselect/{{ ds_nodash }}",
                    "rate": "0.2",
                    "seed": "42",
                    "sdkContainerImage": Variable.get("dataselect_image"),
                    "dataflowServiceOptions": "worker_accelerator=type:nvidia-l4;count:1;install-nvidia-driver",
                    "numberOfWorkerHarnessThreads": "4",
                },
                "environment": {
                    "serviceAccountEmail": Variable.get("dataselect_service_account"),
                    "tempLocation": f"gs://{STAGING}/temp",
                    "stagingLocation": f"gs://{STAGING}/staging",
                    "machineType": "g2-standard-8",
                    "maxWorkers": 8,
                    "additionalExperiments": ["use_runner_v2"],
                },
            }
        },
        append_job_name=False,
        wait_until_finished=True,
    )
